package deployment

import "time"

// EventBridge finding events (lambda/findingevents): the function puts one
// event per published verdict on a bus, for rules to route.
const (
	// EnvEventBus names the bus (name or ARN) the function puts finding
	// events and operational notices on; unset, it puts none.
	EnvEventBus = "EVENT_BUS_NAME"
	// SAMEventBus is the bus of the single-account deployment: the
	// account's default bus, where its own rules match.
	SAMEventBus = "default"
)

// FindingEventActions let the function put events, on that bus only.
var FindingEventActions = []string{"events:PutEvents"}

// EventBusARN is the ARN of a bus; the arguments may be CloudFormation pseudo
// parameters, for Fn::Sub.
func EventBusARN(partition, region, account, bus string) string {
	return "arn:" + partition + ":events:" + region + ":" + account + ":event-bus/" + bus
}

// SAMEventBusARNSub is the default bus's ARN as template.yaml writes it, in Fn::Sub.
var SAMEventBusARNSub = EventBusARN("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}", SAMEventBus)

// Notice windows (lambda/noticewindow): a permanent error of one class in
// one account and Region is published once per window. The window's state
// is an item of a DynamoDB table whose key attributes are those of the
// delivery table (pk, sk, TTL on expiresAt), so that one table can hold
// both.
const (
	// EnvNoticeWindowTable names the table; unset, every notice goes out
	// on its own.
	EnvNoticeWindowTable = "NOTICE_WINDOW_TABLE"
	// EnvNoticeWindow is the window's length, a Go duration (default 1h).
	EnvNoticeWindow     = "NOTICE_WINDOW"
	DefaultNoticeWindow = time.Hour

	NoticeWindowPartitionKey = "pk"
	NoticeWindowSortKey      = "sk"
	NoticeWindowTTLAttribute = "expiresAt"
)

// NoticeWindowActions are what the function needs on the table, on that
// table only: atomic counting and the close's conditional update.
var NoticeWindowActions = []string{"dynamodb:UpdateItem"}

// `ebsguard doctor` (docs/doctor.md): the names it looks for in every member
// account, and what it may read, through the auditor's role only.
const (
	// ForwardRuleName is the member stacks' forwarding rule, on the default bus.
	ForwardRuleName = "ebsguard-forward"
	// DoctorRoleName is the member role the auditor assumes to read the
	// forwarding rule; it exists only when the member stack names an
	// auditor (AuditorRoleArn), and trusts that role alone.
	DoctorRoleName = "ebsguard-doctor"
)

// DoctorMemberActions are the doctor role's, on the forwarding rule only.
var DoctorMemberActions = []string{"events:DescribeRule", "events:ListTargetsByRule"}

// DoctorCentralActions are what the auditor reads in the central account:
// the function and its event source mapping, the queues, the topic's
// subscription count, the alarms and Security Hub. For the auditor's role
// (the central stack's DoctorPolicy), never the function's.
var DoctorCentralActions = []string{
	"cloudwatch:DescribeAlarms",
	"lambda:GetFunction",
	"lambda:ListEventSourceMappings",
	"securityhub:DescribeHub",
	"sns:GetTopicAttributes",
	"sqs:GetQueueAttributes",
}
