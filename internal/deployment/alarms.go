package deployment

// Watched names the resource whose name is an alarm's dimension value; each
// deployment maps it to its own resource.
type Watched string

const (
	WatchFunction           Watched = "function"
	WatchDeadLetters        Watched = "dead-letters"
	WatchRecheckQueue       Watched = "recheck-queue"
	WatchRecheckDeadLetters Watched = "recheck-dead-letters"
)

// Alarm is one CloudWatch alarm both deployments create, with the findings
// topic as its action. Every alarm fires when the statistic over one period
// is at least the threshold, and missing data (an idle function, an empty
// queue) is not breaching.
type Alarm struct {
	// ID is the logical ID (CDK adds its hash).
	ID          string
	Description string
	Namespace   string
	Metric      string
	Dimension   string
	// DimensionValue is the dimension's fixed value; empty when it is the
	// name of the resource Of.
	DimensionValue string
	Of             Watched
	Statistic      string
	PeriodSec      int
	Threshold      float64
}

// Settings every alarm shares.
const (
	AlarmComparison        = "GreaterThanOrEqualToThreshold"
	AlarmEvaluationPeriods = 1
	AlarmMissingData       = "notBreaching"
	// AlarmPeriodSec is short enough for a page within minutes, long enough
	// for SQS's metrics, which are published every minute.
	AlarmPeriodSec = 300
)

// RecheckAgeThresholdSec is twice the longest re-check delay: a healthy
// queue's oldest message is one delay plus a batch's processing old, so half
// an hour means the re-checks are not being consumed.
const RecheckAgeThresholdSec = 2 * int(MaxRecheckDelay/1e9)

// Alarms are the alarms of both deployments.
var Alarms = []Alarm{
	{
		ID: "FunctionErrorsAlarm", Description: "ebsguard invocations are failing (events are retried, then dead-lettered)",
		Namespace: "AWS/Lambda", Metric: "Errors", Dimension: "FunctionName", Of: WatchFunction,
		Statistic: "Sum", PeriodSec: AlarmPeriodSec, Threshold: 1,
	},
	{
		ID: "DeadLettersAlarm", Description: "ebsguard events were dead-lettered and were not evaluated",
		Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Dimension: "QueueName", Of: WatchDeadLetters,
		Statistic: "Maximum", PeriodSec: AlarmPeriodSec, Threshold: 1,
	},
	{
		ID: "ErrorVerdictsAlarm", Description: "ebsguard could not evaluate events (verdict status error: access denied, missing reader role, unresolved key, re-check past its deadline)",
		Namespace: MetricsNamespace, Metric: MetricVerdicts, Dimension: DimensionStatus, DimensionValue: "error",
		Statistic: "Sum", PeriodSec: AlarmPeriodSec, Threshold: 1,
	},
	{
		ID: "RecheckAgeAlarm", Description: "ebsguard re-checks are not being consumed (oldest re-check message older than twice the longest delay)",
		Namespace: "AWS/SQS", Metric: "ApproximateAgeOfOldestMessage", Dimension: "QueueName", Of: WatchRecheckQueue,
		Statistic: "Maximum", PeriodSec: AlarmPeriodSec, Threshold: float64(RecheckAgeThresholdSec),
	},
	{
		ID: "RecheckDeadLettersAlarm", Description: "ebsguard re-checks failed repeatedly and were dead-lettered; their results were not checked",
		Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Dimension: "QueueName", Of: WatchRecheckDeadLetters,
		Statistic: "Maximum", PeriodSec: AlarmPeriodSec, Threshold: 1,
	},
}
