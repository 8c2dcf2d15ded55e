// Package deployment is the one source of truth for what the infrastructure
// grants and routes: the EventBridge pattern, the read actions the Lambda
// needs in every account, the reader role's name and the function's
// environment. The CDK app builds from it; a test holds template.yaml (SAM)
// to it, so the two deployments cannot drift apart.
package deployment

import "github.com/ebsguard/ebsguard/lambda/accounts"

// EventNames are the CloudTrail events the guardrail evaluates.
var EventNames = []string{"CopyImage", "RunInstances"}

// EventPattern is the EventBridge pattern that routes those events, as
// CloudFormation writes it.
func EventPattern() map[string]any {
	return map[string]any{
		"source":      []any{"aws.ec2"},
		"detail-type": []any{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []any{"ec2.amazonaws.com"},
			"eventName":   []any{EventNames[0], EventNames[1]},
		},
	}
}

// ReadActions are exactly the read-only calls the Lambda makes in an account
// (lambda/verify's EC2API and KMSAPI). None supports resource-level
// permissions, so they are granted on "*". ec2:DescribeInstances is granted
// because the deployment contract names it; the engine finds volumes with
// DescribeVolumes filtered by attachment.instance-id.
var ReadActions = []string{
	"ec2:DescribeImages",
	"ec2:DescribeInstances",
	"ec2:DescribeLaunchTemplateVersions",
	"ec2:DescribeSnapshots",
	"ec2:DescribeVolumes",
	"ec2:GetEbsDefaultKmsKeyId",
	"ec2:GetEbsEncryptionByDefault",
	"kms:DescribeKey",
}

// ReaderRoleName is the role every member account lets the central Lambda assume.
const ReaderRoleName = accounts.DefaultReaderRole

// Environment variables the function reads (lambda/handler).
const (
	EnvTopicARN   = "TOPIC_ARN"
	EnvPolicy     = "EBSGUARD_POLICY"
	EnvReaderRole = "READER_ROLE_NAME"
	EnvCacheTTL   = "CACHE_TTL"
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
