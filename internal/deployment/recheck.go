package deployment

import "time"

// The re-check queue: the function sends it a record whose results are not
// visible yet, with a delay, and consumes it through an SQS event source
// mapping. Both deployments build the queue, its dead-letter queue and the
// mapping from these values.
const (
	// MaxRecheckDelay is the longest delay SQS allows on one message
	// (DelaySeconds 900): the backoff's last step, repeated.
	MaxRecheckDelay = 15 * time.Minute

	// RecheckBatchSize is small because one record can cost many lookups,
	// in several accounts: a batch of five stays well within the function's
	// timeout, and a failed record is returned alone (ReportBatchItemFailures).
	RecheckBatchSize = 5

	// RecheckVisibilitySec is six times the function's timeout, as AWS
	// recommends for SQS event sources: room for Lambda to retry a batch
	// whose invocation was throttled before the message reappears. Lambda
	// refuses a mapping whose queue's visibility is shorter than the timeout.
	RecheckVisibilitySec = 6 * TimeoutSec

	// RecheckMaxReceiveCount is the number of failed receives before a
	// message is dead-lettered. AWS recommends at least 5 for a Lambda
	// consumer, so throttling alone never dead-letters a message; at 6
	// minutes' visibility it gives a failing record about half an hour of
	// retries before the dead-letter alarm.
	RecheckMaxReceiveCount = 5

	// RecheckRetentionSec is SQS's maximum, 14 days: at least the re-check
	// deadline plus a day for any deadline up to MaxRecheckDeadline, so a
	// stopped consumer (a disabled mapping, a broken deploy) loses nothing
	// for as long as the age alarm is unanswered.
	RecheckRetentionSec = 14 * 24 * 3600

	// RecheckDeadLetterRetentionSec is also the maximum: a standard queue's
	// message keeps its original enqueue time in the dead-letter queue, so a
	// shorter retention would expire dead letters before anyone reads them.
	RecheckDeadLetterRetentionSec = 14 * 24 * 3600

	// DefaultRecheckDeadline is CopyImage's longest completion window (48
	// hours) plus a margin: past it the verdict is still-pending:<duration>.
	DefaultRecheckDeadline = "49h"

	// MaxRecheckDeadline keeps the deadline plus a day within the queue's
	// retention.
	MaxRecheckDeadline = time.Duration(RecheckRetentionSec)*time.Second - 24*time.Hour
)

// DurationPattern is the RecheckDeadline parameter's AllowedPattern: a Go
// duration (time.ParseDuration) without sign, such as 49h or 1h30m, so that
// CloudFormation rejects a typo before the function does at cold start.
const DurationPattern = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
