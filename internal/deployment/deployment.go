// Package deployment is the one source of truth for what the infrastructure
// grants and routes: the EventBridge pattern, the actions each role is
// allowed, the re-check queue's settings, the alarms, the stack parameters,
// the reader role's name and the function's environment. The CDK app builds
// from it; a test holds template.yaml (SAM) to it, so the two deployments
// cannot drift apart.
package deployment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// EventNames are the CloudTrail events the guardrail evaluates: one per kind
// of the rules' registry, then the settings calls.
var EventNames = rules.EventNames()

// kindEventNames are the events of the kinds that create volumes or snapshots.
func kindEventNames() []string {
	var out []string
	for _, k := range rules.Kinds() {
		out = append(out, k.EventName)
	}
	return out
}

// EventList names the calls that create volumes or snapshots for a person,
// as descriptions say them: "A, B and C".
func EventList() string { return personList(kindEventNames()) }

// SettingsList names the settings calls for a person: "A, B and C".
func SettingsList() string { return personList(rules.EventNames()[len(rules.Kinds()):]) }

// MaxFunctionDescription is Lambda's limit on a function's description.
const MaxFunctionDescription = 256

// FunctionDescription describes the function in both deployments.
func FunctionDescription() string { return functionDescription(kindEventNames()) }

// functionDescription names the calls when they fit in Lambda's limit, and
// otherwise counts them: a kind added to the registry never makes a
// deployment fail.
func functionDescription(calls []string) string {
	const head, tail = "ebsguard: checks the KMS key of the volumes and snapshots that ", " create, and EBS encryption settings changes"
	if d := head + personList(calls) + tail; len(d) <= MaxFunctionDescription {
		return d
	}
	return fmt.Sprintf("%s%d EC2 and EBS calls (docs/rules.md)%s", head, len(calls), tail)
}

// personList names items for a person: "A, B and C".
func personList(names []string) string {
	n := len(names)
	if n < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
}

// EventPattern is the EventBridge pattern that routes those events, as
// CloudFormation writes it.
func EventPattern() map[string]any {
	names := make([]any, len(EventNames))
	for i, n := range EventNames {
		names[i] = n
	}
	// The EventBridge source of a CloudTrail eventSource: aws.ec2 for
	// ec2.amazonaws.com, aws.ebs for the EBS direct APIs' ebs.amazonaws.com.
	sources, eventSources := []any{}, []any{}
	for _, src := range append([]string{rules.EC2Source}, kindSources()...) {
		if !slices.Contains(eventSources, any(src)) {
			eventSources = append(eventSources, src)
			sources = append(sources, "aws."+strings.TrimSuffix(src, ".amazonaws.com"))
		}
	}
	return map[string]any{
		"source":      sources,
		"detail-type": []any{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": eventSources,
			"eventName":   names,
		},
	}
}

// kindSources are the CloudTrail event sources of the kinds, in the
// registry's order.
func kindSources() []string {
	var out []string
	for _, k := range rules.Kinds() {
		out = append(out, k.Source())
	}
	return out
}

// ReaderRoleName is the role every member account lets the central Lambda assume.
const ReaderRoleName = "ebsguard-reader"

// Environment variables the function reads (lambda/handler).
const (
	EnvTopicARN   = "TOPIC_ARN"
	EnvPolicy     = "EBSGUARD_POLICY"
	EnvReaderRole = "READER_ROLE_NAME"
	EnvCacheTTL   = "CACHE_TTL"
	// EnvRecheckQueueURL is the SQS queue of re-checks (results not visible yet).
	EnvRecheckQueueURL = "RECHECK_QUEUE_URL"
	// EnvRecheckBackoff lists the delays between re-checks, comma-separated
	// Go durations; the last repeats (default "1m,2m,5m,10m,15m").
	EnvRecheckBackoff = "RECHECK_BACKOFF"
	// EnvRecheckDeadline is how long re-checks go on before the verdict is
	// an error still-pending:<duration> (default 49h).
	EnvRecheckDeadline = "RECHECK_DEADLINE"
	// EnvSecurityHub turns on the import of findings into Security Hub ("true").
	EnvSecurityHub = "SECURITY_HUB"
)

// Metrics the function emits in CloudWatch Embedded Metric Format; the alarms
// of both deployments watch them.
const (
	MetricsNamespace = "ebsguard"
	// MetricVerdicts counts verdicts, with dimension DimensionStatus.
	MetricVerdicts  = "Verdicts"
	DimensionStatus = "status"
	// MetricRecheckAge is the age in seconds of the oldest record being re-checked.
	MetricRecheckAge = "RecheckAgeSeconds"
)

// Function settings shared by both deployments.
const (
	Runtime      = "provided.al2023"
	Architecture = "arm64"
	Handler      = "bootstrap"
	MemoryMB     = 256
	TimeoutSec   = 60 // room for the SDK's retries of throttled calls
	LogRetention = 90 // days
	EventRetries = 4  // EventBridge → Lambda delivery attempts after the first
	EventMaxAgeS = 3600
	AsyncRetries = 2 // Lambda's own retries of a failed asynchronous invocation
)
