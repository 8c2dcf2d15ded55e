package localaws_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/findingevents"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The function's finding events reach localaws through the real SDK client,
// and the forwarding rule a doctor reads is answered as EventBridge does.
func TestEventBridgeThroughSDK(t *testing.T) {
	s := start(t)
	client := eventbridge.NewFromConfig(sdkConfig(t, s.URL()))
	ctx := context.Background()
	v := verify.Verdict{EventID: "e-1", Account: "222222222222", Region: "us-east-1", Status: verify.StatusViolation,
		Findings: []verify.Finding{{Code: "UNENCRYPTED", Severity: "high", Resource: "vol-1"}}}
	id, err := findingevents.New(client, "ebsguard").Put(ctx, v)
	if err != nil || id == "" {
		t.Fatalf("Put = %q, %v", id, err)
	}
	put := s.PutEvents()
	if len(put) != 1 || put[0].Bus != "ebsguard" || put[0].Source != "ebsguard" || put[0].DetailType != "EBS Encryption Finding" || put[0].Account != central {
		t.Fatalf("events put %+v", put)
	}
	var detail verify.Verdict
	if err := json.Unmarshal([]byte(put[0].Detail), &detail); err != nil || detail.EventID != "e-1" {
		t.Errorf("detail %s: %v", put[0].Detail, err)
	}

	bus := "arn:aws:events:us-east-1:111111111111:event-bus/ebsguard"
	s.SetRule(central, "us-east-1", localaws.EventRule{Name: "ebsguard-forward", State: "DISABLED", Targets: []string{bus}})
	rule, err := client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("ebsguard-forward")})
	if err != nil || rule.State != ebtypes.RuleStateDisabled || aws.ToString(rule.EventBusName) != "default" {
		t.Fatalf("DescribeRule = %+v, %v", rule, err)
	}
	targets, err := client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("ebsguard-forward")})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != bus {
		t.Fatalf("ListTargetsByRule = %+v, %v", targets, err)
	}
	if _, err := client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("missing")}); errCode(err) != "ResourceNotFoundException" {
		t.Errorf("a missing rule: %v", err)
	}
	// Another account sees its own rules only.
	other := eventbridge.NewFromConfig(sdkConfigAs(t, s.URL(), "222222222222"))
	if _, err := other.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("ebsguard-forward")}); errCode(err) != "ResourceNotFoundException" {
		t.Errorf("another account's rule: %v", err)
	}
}
