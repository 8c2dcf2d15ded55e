package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The parts of the central account's services the doctor reads.
type (
	FunctionAPI interface {
		GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
		ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, opts ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	}
	QueueAPI interface {
		GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	}
	TopicAPI interface {
		GetTopicAttributes(ctx context.Context, in *sns.GetTopicAttributesInput, opts ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	}
	AlarmsAPI interface {
		DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	}
	HubAPI interface {
		DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, opts ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error)
	}
)

var (
	_ FunctionAPI = (*lambda.Client)(nil)
	_ QueueAPI    = (*sqs.Client)(nil)
	_ TopicAPI    = (*sns.Client)(nil)
	_ AlarmsAPI   = (*cloudwatch.Client)(nil)
	_ HubAPI      = (*securityhub.Client)(nil)
)

type centralAPIs struct {
	lambda      FunctionAPI
	sqs         QueueAPI
	sns         TopicAPI
	cloudwatch  AlarmsAPI
	securityhub HubAPI
}

type centralCheck func(context.Context, centralAPIs) checkResult

// centralChecks are the checks of what the options name, in the caller's
// account and Region.
func centralChecks(o doctorOptions) []centralCheck {
	var out []centralCheck
	if o.function != "" {
		out = append(out, func(ctx context.Context, a centralAPIs) checkResult { return checkFunction(ctx, a.lambda, o.function) })
	}
	for _, q := range o.queues {
		out = append(out, func(ctx context.Context, a centralAPIs) checkResult { return checkQueue(ctx, a.sqs, q) })
	}
	if o.topic != "" {
		out = append(out, func(ctx context.Context, a centralAPIs) checkResult { return checkTopic(ctx, a.sns, o.topic) })
	}
	if o.alarmsPfx != "" {
		out = append(out, func(ctx context.Context, a centralAPIs) checkResult {
			return checkAlarms(ctx, a.cloudwatch, o.alarmsPfx)
		})
	}
	if o.securityHub {
		out = append(out, func(ctx context.Context, a centralAPIs) checkResult { return checkHub(ctx, a.securityhub) })
	}
	return out
}

// checkFunction: the function exists and is active, and its event source
// mapping (the re-check queue) is enabled.
func checkFunction(ctx context.Context, api FunctionAPI, name string) checkResult {
	r := checkResult{check: "function"}
	fn, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	switch {
	case errorCode(err) == "ResourceNotFoundException":
		r.detail = fmt.Sprintf("no function %s: deploy the central stack, or name its function (stack output)", name)
		return r
	case err != nil:
		r.detail = fmt.Sprintf("get function %s: %v", name, err)
		return r
	case fn.Configuration != nil && fn.Configuration.State != "" && fn.Configuration.State != lambdatypes.StateActive:
		r.detail = fmt.Sprintf("function %s is %s (%s): redeploy the central stack", name, fn.Configuration.State, aws.ToString(fn.Configuration.StateReason))
		return r
	}
	maps, err := api.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(name)})
	if err != nil {
		r.detail = fmt.Sprintf("list the event source mappings of %s: %v", name, err)
		return r
	}
	var states []string
	for _, m := range maps.EventSourceMappings {
		st := aws.ToString(m.State)
		if st == "Enabled" {
			r.ok, r.detail = true, "active; re-check queue mapping enabled ("+aws.ToString(m.EventSourceArn)+")"
			return r
		}
		states = append(states, aws.ToString(m.EventSourceArn)+" "+st)
	}
	if len(states) == 0 {
		r.detail = fmt.Sprintf("function %s has no event source mapping: re-checks are never consumed; redeploy the central stack", name)
	} else {
		r.detail = fmt.Sprintf("no enabled event source mapping of %s (%s): aws lambda update-event-source-mapping --uuid <id> --enabled", name, strings.Join(states, ", "))
	}
	return r
}

// checkQueue: the queue exists.
func checkQueue(ctx context.Context, api QueueAPI, url string) checkResult {
	r := checkResult{check: "queue"}
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		r.detail = fmt.Sprintf("queue %s: %v: deploy the central stack, or name its queues (stack outputs)", url, err)
		return r
	}
	r.ok, r.detail = true, fmt.Sprintf("%s: %s messages", url, out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	return r
}

// checkTopic: at least one confirmed subscription.
func checkTopic(ctx context.Context, api TopicAPI, arn string) checkResult {
	r := checkResult{check: "topic"}
	out, err := api.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		r.detail = fmt.Sprintf("topic %s: %v", arn, err)
		return r
	}
	n, _ := strconv.Atoi(out.Attributes["SubscriptionsConfirmed"])
	pending := out.Attributes["SubscriptionsPending"]
	if n == 0 {
		r.detail = fmt.Sprintf("topic %s has no confirmed subscription (%s pending): nobody receives the findings; confirm the e-mail subscription or connect a chat channel (docs/integrations.md)", arn, pending)
		return r
	}
	r.ok, r.detail = true, fmt.Sprintf("%d confirmed subscriptions", n)
	return r
}

// checkAlarms: none of the deployment's alarms is in ALARM.
func checkAlarms(ctx context.Context, api AlarmsAPI, prefix string) checkResult {
	r := checkResult{check: "alarms"}
	var firing []string
	p := cloudwatch.NewDescribeAlarmsPaginator(api, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(prefix), StateValue: cwtypes.StateValueAlarm})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			r.detail = fmt.Sprintf("describe alarms %s*: %v", prefix, err)
			return r
		}
		for _, a := range page.MetricAlarms {
			firing = append(firing, aws.ToString(a.AlarmName))
		}
	}
	if len(firing) > 0 {
		r.detail = fmt.Sprintf("in ALARM: %s: see each alarm's description and docs/doctor.md", strings.Join(firing, ", "))
		return r
	}
	r.ok, r.detail = true, "none in ALARM"
	return r
}

// checkHub: Security Hub is enabled in the account and Region, so the
// function's imports are accepted.
func checkHub(ctx context.Context, api HubAPI) checkResult {
	r := checkResult{check: "security hub"}
	if _, err := api.DescribeHub(ctx, &securityhub.DescribeHubInput{}); err != nil {
		r.detail = fmt.Sprintf("Security Hub does not answer (%v): enable it in this account and Region (aws securityhub enable-security-hub), or deploy with EnableSecurityHub=false", err)
		return r
	}
	r.ok, r.detail = true, "enabled"
	return r
}
