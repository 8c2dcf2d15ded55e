package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
)

// A command run against the local endpoints gets their environment, not the
// caller's AWS settings, and its exit status is the run's; a world that does
// not load is a usage error.
func TestExecLocal(t *testing.T) {
	t.Setenv("AWS_PROFILE", "someone-real")
	t.Setenv("AWS_REGION", "eu-central-1")
	script := `echo "ec2=$AWS_ENDPOINT_URL_EC2 profile=$AWS_PROFILE region=$AWS_REGION config=$AWS_CONFIG_FILE"; exit 3`
	var out, errOut strings.Builder
	code := execLocal(context.Background(), "../../events/day-one/world.json", []string{"/bin/sh", "-c", script}, strings.NewReader(""), &out, &errOut)
	if code != 3 {
		t.Errorf("exit %d; want the command's 3 (stderr %s)", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"ec2=http://127.0.0.1:", " profile= ", " region=us-east-1 ", " config=/dev/null"} {
		if !strings.Contains(got, want) {
			t.Errorf("the command saw %q; want %q in it", got, want)
		}
	}
	if code := execLocal(context.Background(), "no-such-world.json", []string{"/bin/true"}, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Errorf("a missing world: exit %d; want 2", code)
	}
}

// docs/local.md shows the unset line that undoes the shell file: the
// variables the endpoints set, every one of them.
func TestLocalDocUnset(t *testing.T) {
	b, err := os.ReadFile("../../docs/local.md")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := startEndpoints("../../events/day-one/world.json")
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	exports, unset := ep.shellFile()
	if !strings.Contains(string(b), "\n"+unset+"\n") {
		t.Errorf("docs/local.md does not show\n%s", unset)
	}
	if n := strings.Count(exports, "export "); !strings.Contains(string(b), fmt.Sprintf("exports %d variables", n)) {
		t.Errorf("docs/local.md does not say the file exports %d variables", n)
	}
}

// The local endpoints play a deployed organization for ebsguard doctor
// (docs/doctor.md): every member account of the world has the member
// stack's forwarding rule, enabled and targeting the central bus; the
// central account has none, as the deployment guide has it.
func TestEndpointsHaveMemberStacks(t *testing.T) {
	ep, err := startEndpoints("../../events/day-one/world.json")
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	bus := deployment.EventBusARN("aws", localrun.Region, localrun.CentralAccount, "ebsguard")
	for account, member := range map[string]bool{"222222222222": true, localrun.CentralAccount: false} {
		c := eventbridge.NewFromConfig(aws.Config{Region: localrun.Region, BaseEndpoint: aws.String(ep.aws.URL()),
			Credentials: credentials.NewStaticCredentialsProvider(localaws.AccessKeyFor(account), "local", "")})
		rule, err := c.DescribeRule(context.Background(), &eventbridge.DescribeRuleInput{Name: aws.String(deployment.ForwardRuleName)})
		if !member {
			if err == nil {
				t.Errorf("the central account %s has a forwarding rule", account)
			}
			continue
		}
		if err != nil || rule.State != "ENABLED" {
			t.Fatalf("account %s: rule %+v, %v", account, rule, err)
		}
		targets, err := c.ListTargetsByRule(context.Background(), &eventbridge.ListTargetsByRuleInput{Rule: aws.String(deployment.ForwardRuleName)})
		if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != bus {
			t.Errorf("account %s: targets %+v, %v; want %s", account, targets, err, bus)
		}
	}
}
