package deployment

import "slices"

// EngineReadActions are exactly the read-only calls the engine makes in an
// account: one per method of lambda/verify's EC2API and KMSAPI
// (verify.ReadActions derives them from the interfaces). The central
// function's role needs them for its own account, the reader role for every
// other. None supports resource-level permissions, so they are granted on
// "*". The list is generated, as are template.yaml's and
// docs/permissions.md's (`go test ./internal/deployment -run
// TestGeneratedPermissions -update`): written out rather than computed so
// that the CDK module, which builds this package, does not depend on the
// engine and the EC2 SDK.
var EngineReadActions = []string{
	// engine-reads:begin: generated from verify.ReadActions() by `go test ./internal/deployment -run TestGeneratedPermissions -update`; do not edit
	"ec2:DescribeImages",
	"ec2:DescribeImportImageTasks",
	"ec2:DescribeImportSnapshotTasks",
	"ec2:DescribeInstances",
	"ec2:DescribeLaunchTemplateVersions",
	"ec2:DescribeReplaceRootVolumeTasks",
	"ec2:DescribeSnapshots",
	"ec2:DescribeVolumes",
	"ec2:GetEbsDefaultKmsKeyId",
	"ec2:GetEbsEncryptionByDefault",
	"kms:DescribeKey",
	// engine-reads:end
}

// AuditActions are what `ebsguard audit` needs beyond the engine, through the
// auditor role: CloudTrail event history. LookupEvents supports no
// resource-level permissions. The function itself never calls it, so
// neither its role nor the reader role it assumes gets it.
var AuditActions = []string{"cloudtrail:LookupEvents"}

// ReaderRoleActions are exactly what the member accounts' reader role allows,
// on "*": the engine's reads, nothing more (least privilege: the function
// cannot read the members' CloudTrail history).
func ReaderRoleActions() []string {
	return sortedUnion(EngineReadActions)
}

// AuditorRoleName is the role `ebsguard audit` assumes in other accounts:
// created by the member stack only when AuditorRoleArn is set, and trusted
// by that role alone.
const AuditorRoleName = "ebsguard-auditor"

// AuditorRoleActions are exactly what the auditor role allows, on "*": the
// engine's reads and the audit's.
func AuditorRoleActions() []string {
	return sortedUnion(EngineReadActions, AuditActions)
}

// RecheckSendActions lets the function queue a record whose results are not
// visible yet, on the re-check queue only.
var RecheckSendActions = []string{"sqs:SendMessage"}

// RecheckConsumeActions are what the SQS event source mapping needs, through
// the function's role, to consume the re-check queue; on that queue only.
var RecheckConsumeActions = []string{
	"sqs:ChangeMessageVisibility",
	"sqs:DeleteMessage",
	"sqs:GetQueueAttributes",
	"sqs:ReceiveMessage",
}

// SecurityHubActions are granted to the function only when the Security Hub
// option is on.
var SecurityHubActions = []string{"securityhub:BatchImportFindings"}

// SecurityHubProductARN is the account's default product ARN, the one
// resource BatchImportFindings is granted on (the action requires the
// product resource type). The arguments may be CloudFormation pseudo
// parameters such as "${AWS::Partition}", for Fn::Sub.
func SecurityHubProductARN(partition, region, account string) string {
	return "arn:" + partition + ":securityhub:" + region + ":" + account + ":product/" + account + "/default"
}

// SecurityHubProductARNSub is SecurityHubProductARN as both templates write
// it, in Fn::Sub.
var SecurityHubProductARNSub = SecurityHubProductARN("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}")

func sortedUnion(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
