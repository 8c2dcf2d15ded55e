// Package recheck brings a record back to the function later, when its
// results were not visible yet: an AMI copy takes minutes to hours, and a
// launch's volumes are listed a moment after the call. The record travels
// through an SQS queue with a delay, together with what the next look needs:
// which attempt it is, when the record was first seen, and which findings
// were already published (so that one finding makes one message).
//
// The EC2 AMI State Change event is no substitute: it carries only an image
// ID, and without the original request nothing can say which key the copy
// should have got.
package recheck

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Message is the body of a re-check message.
type Message struct {
	// Record is the CloudTrail record as the function first received it.
	Record json.RawMessage `json:"record,omitempty"`
	// RecordGzip holds the record gzip-compressed and base64-encoded instead,
	// when it would not fit in a message as it is.
	RecordGzip string `json:"recordGzip,omitempty"`
	// Attempt is the number of this re-check: 1 for the first.
	Attempt int `json:"attempt"`
	// FirstSeen is when the function first evaluated the record.
	FirstSeen time.Time `json:"firstSeen"`
	// Account is the account of the EventBridge event the record arrived in
	// (or the record's own, for a record invoked bare): a re-check applies
	// the same envelope check as the first look.
	Account string `json:"account,omitempty"`
	// Published are the findings already published for it, only when no
	// delivery table is configured (the table is the record of what was
	// published otherwise, and the message stays small).
	Published []Finding `json:"published,omitempty"`
	// HubFailures counts the failed Security Hub imports of the record: a
	// re-check retries that destination alone, a few times.
	HubFailures int `json:"hubFailures,omitempty"`
	// EBD and DEF are encryption by default and the default key reference
	// of the call's Region as the first look read them: a re-check judges
	// against the settings of the call, not today's (spec/rules.md,
	// "Settings as they were at the event"). Absent in older messages.
	EBD *bool  `json:"ebd,omitempty"`
	DEF string `json:"def,omitempty"`
	// OrigEncrypted and OrigKeyARN are a root replacement's original root
	// volume (ORIG) as the first look read it, before the swap.
	OrigEncrypted *bool  `json:"origEncrypted,omitempty"`
	OrigKeyARN    string `json:"origKeyArn,omitempty"`
}

// Finding names one published finding of the record.
type Finding struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
}

// maxBody is SQS's default maximum message size.
const maxBody = 256 << 10

// ErrTooLarge is the error of a message that does not fit in SQS even
// compressed: the caller turns it into an operational notice, since a retry
// cannot make it fit.
var ErrTooLarge = errors.New("re-check message too large for SQS")

// Encode returns the message body, the record always compressed: a record
// of a 256 KB event then leaves room for the rest.
func (m Message) Encode() (string, error) {
	if len(m.Record) == 0 {
		return "", errors.New("re-check message: no record")
	}
	var z bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&z)
	w.Write(m.Record)
	if err := w.Close(); err != nil {
		return "", err
	}
	m.Record, m.RecordGzip = nil, base64.StdEncoding.EncodeToString(z.Bytes())
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	if len(b) > maxBody {
		return "", fmt.Errorf("%w: %d bytes, SQS takes %d", ErrTooLarge, len(b), maxBody)
	}
	return string(b), nil
}

// gzipWriters reuses compressors: each holds about a megabyte of state.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// Parse reads a message body.
func Parse(body string) (Message, error) {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, fmt.Errorf("re-check message: %w", err)
	}
	if m.RecordGzip != "" {
		z, err := base64.StdEncoding.DecodeString(m.RecordGzip)
		if err != nil {
			return m, fmt.Errorf("re-check message: recordGzip: %w", err)
		}
		r, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return m, fmt.Errorf("re-check message: recordGzip: %w", err)
		}
		if m.Record, err = io.ReadAll(io.LimitReader(r, MaxRecord+1)); err != nil {
			return m, fmt.Errorf("re-check message: recordGzip: %w", err)
		}
		if len(m.Record) > MaxRecord {
			return m, fmt.Errorf("re-check message: record over %d bytes", MaxRecord)
		}
		m.RecordGzip = ""
	}
	if len(m.Record) == 0 || m.Attempt < 1 || m.FirstSeen.IsZero() {
		return m, errors.New("re-check message: no record, attempt or firstSeen")
	}
	return m, nil
}

// MaxRecord bounds the record a message may carry: an EventBridge event is
// at most 256 KB, so anything larger was not written by the function.
const MaxRecord = 1 << 20

// Schedule is when records are looked at again, and until when.
type Schedule struct {
	// Backoff are the delays before each re-check; the last one repeats.
	Backoff []time.Duration
	// Deadline is how long after the first look the function gives up.
	Deadline time.Duration
}

// maxDelay is the longest delay SQS gives one message.
const maxDelay = 15 * time.Minute

// DefaultSchedule waits about 1, 2, 5 and 10 minutes, then 15 minutes each
// time, for 49 hours: CopyImage's longest completion window (48 hours) plus
// a margin.
var DefaultSchedule = Schedule{
	Backoff:  []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, maxDelay},
	Deadline: 49 * time.Hour,
}

// ParseSchedule reads a schedule from its settings (comma-separated Go
// durations, and a Go duration); an empty setting keeps the default.
func ParseSchedule(backoff, deadline string) (Schedule, error) {
	s := DefaultSchedule
	if backoff != "" {
		s.Backoff = nil
		for _, f := range strings.Split(backoff, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil {
				return s, fmt.Errorf("re-check backoff: %w", err)
			}
			if d < 0 || d > maxDelay {
				return s, fmt.Errorf("re-check backoff %s: SQS delays a message by 0 to 15 minutes", d)
			}
			s.Backoff = append(s.Backoff, d)
		}
	}
	if deadline != "" {
		d, err := time.ParseDuration(deadline)
		if err != nil {
			return s, fmt.Errorf("re-check deadline: %w", err)
		}
		if d <= 0 {
			return s, fmt.Errorf("re-check deadline %s: must be positive", d)
		}
		s.Deadline = d
	}
	return s, nil
}

// Delay is the wait before re-check number attempt (1 for the first).
func (s Schedule) Delay(attempt int) time.Duration {
	if len(s.Backoff) == 0 {
		return 0
	}
	return s.Backoff[min(max(attempt, 1), len(s.Backoff))-1]
}

// Expired reports whether the deadline has passed for a record first seen
// then.
func (s Schedule) Expired(firstSeen, now time.Time) bool {
	return now.Sub(firstSeen) >= s.Deadline
}

// MaxAttempts is the largest attempt number a message of this schedule can
// carry: ten times the re-checks that fit in the deadline (a queue that
// delivers early, as a local one may, or delays cut short at the deadline),
// and at least 1,000. A larger one was not written by the function; the
// bound only has to stop absurd values (the deadline ends every chain).
func (s Schedule) MaxAttempts() int {
	n, total := 0, time.Duration(0)
	for total < s.Deadline && n < 100000 {
		n++
		d := s.Delay(n)
		if d <= 0 {
			d = time.Second
		}
		total += d
	}
	return max(10*(n+maxHubRetries), 1000)
}

// maxHubRetries is how many times a re-check retries Security Hub alone.
const maxHubRetries = 5

// MaxHubRetries is how many failed Security Hub imports of a record are
// retried through the queue before an operational notice says so.
func MaxHubRetries() int { return maxHubRetries }

// Age says how long a record has waited, in the verdict's reason
// still-pending:<age>: whole minutes ("49h", "1h30m", "15m"), or seconds
// under a minute.
func Age(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	default:
		return fmt.Sprintf("%dh%dm", h, m)
	}
}

// SQSAPI is the part of SQS the queue calls.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ SQSAPI = (*sqs.Client)(nil)

// Queue sends re-check messages.
type Queue struct {
	sqs SQSAPI
	url string
}

// NewQueue returns the queue at url.
func NewQueue(client SQSAPI, url string) *Queue { return &Queue{sqs: client, url: url} }

// Send queues a message to be delivered after delay.
func (q *Queue) Send(ctx context.Context, m Message, delay time.Duration) error {
	body, err := m.Encode()
	if err != nil {
		return err
	}
	_, err = q.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(q.url),
		MessageBody:  aws.String(body),
		DelaySeconds: int32(min(delay, maxDelay) / time.Second),
	})
	if err != nil {
		return fmt.Errorf("queue re-check %d to %s: %w", m.Attempt, q.url, err)
	}
	return nil
}
