package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// central is a central account as the doctor's fakes hold it.
type central struct {
	function  *lambdatypes.FunctionConfiguration // nil: no function
	mappings  []lambdatypes.EventSourceMappingConfiguration
	queues    map[string]bool
	confirmed string
	alarms    []string // in ALARM
	hubOff    bool
}

func notFound(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not found"} }

func (c *central) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if c.function == nil {
		return nil, notFound("ResourceNotFoundException")
	}
	return &lambda.GetFunctionOutput{Configuration: c.function}, nil
}

func (c *central) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: c.mappings}, nil
}

func (c *central) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if !c.queues[aws.ToString(in.QueueUrl)] {
		return nil, notFound("AWS.SimpleQueueService.NonExistentQueue")
	}
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"ApproximateNumberOfMessages": "0"}}, nil
}

func (c *central) GetTopicAttributes(_ context.Context, in *sns.GetTopicAttributesInput, _ ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	return &sns.GetTopicAttributesOutput{Attributes: map[string]string{"SubscriptionsConfirmed": c.confirmed, "SubscriptionsPending": "1"}}, nil
}

func (c *central) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	var out []cwtypes.MetricAlarm
	for _, a := range c.alarms {
		if strings.HasPrefix(a, aws.ToString(in.AlarmNamePrefix)) && in.StateValue == cwtypes.StateValueAlarm {
			out = append(out, cwtypes.MetricAlarm{AlarmName: aws.String(a)})
		}
	}
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: out}, nil
}

func (c *central) DescribeHub(context.Context, *securityhub.DescribeHubInput, ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error) {
	if c.hubOff {
		return nil, errors.New("InvalidAccessException: Account is not subscribed to AWS Security Hub")
	}
	return &securityhub.DescribeHubOutput{}, nil
}

func healthy() *central {
	return &central{
		function: &lambdatypes.FunctionConfiguration{State: lambdatypes.StateActive},
		mappings: []lambdatypes.EventSourceMappingConfiguration{{State: aws.String("Enabled"), EventSourceArn: aws.String("arn:aws:sqs:us-east-1:444444444444:recheck")}},
		queues:   map[string]bool{"https://q/recheck": true, "https://q/dlq": true}, confirmed: "2",
	}
}

// Each central check, healthy and broken: a failure names what to fix.
func TestDoctorCentral(t *testing.T) {
	opts := doctorOptions{function: "ebsguard-fn", topic: "arn:aws:sns:us-east-1:444444444444:findings", queues: []string{"https://q/recheck", "https://q/dlq"},
		alarmsPfx: "ebsguard-central", securityHub: true}
	tests := []struct {
		name    string
		breakIt func(*central)
		check   string
		fix     string
	}{
		{"healthy", func(*central) {}, "", ""},
		{"no function", func(c *central) { c.function = nil }, "function", "no function ebsguard-fn: deploy the central stack"},
		{"mapping disabled", func(c *central) { c.mappings[0].State = aws.String("Disabled") }, "function", "update-event-source-mapping"},
		{"no mapping", func(c *central) { c.mappings = nil }, "function", "re-checks are never consumed"},
		{"queue gone", func(c *central) { delete(c.queues, "https://q/dlq") }, "queue", "https://q/dlq"},
		{"nobody subscribed", func(c *central) { c.confirmed = "0" }, "topic", "no confirmed subscription (1 pending)"},
		{"alarm firing", func(c *central) { c.alarms = []string{"ebsguard-central-DeadLettersAlarm12AB", "other-stack-alarm"} }, "alarms", "in ALARM: ebsguard-central-DeadLettersAlarm12AB:"},
		{"hub off", func(c *central) { c.hubOff = true }, "security hub", "aws securityhub enable-security-hub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := healthy()
			tt.breakIt(c)
			var done, total atomic.Int64
			rs := runDoctor(context.Background(), opts, nil, doctorAPIs{central: centralAPIs{lambda: c, sqs: c, sns: c, cloudwatch: c, securityhub: c}}, &done, &total)
			if len(rs) != 6 || done.Load() != 6 || total.Load() != 6 {
				t.Fatalf("%d results, %d/%d done; want 6", len(rs), done.Load(), total.Load())
			}
			var failed []checkResult
			for _, r := range rs {
				if r.scope != "central" {
					t.Errorf("scope %q", r.scope)
				}
				if !r.ok {
					failed = append(failed, r)
				}
			}
			if tt.check == "" {
				if len(failed) != 0 {
					t.Errorf("failures %+v", failed)
				}
				return
			}
			if len(failed) != 1 || failed[0].check != tt.check || !strings.Contains(failed[0].detail, tt.fix) {
				t.Errorf("failures %+v; want one %s saying %q", failed, tt.check, tt.fix)
			}
		})
	}
}
