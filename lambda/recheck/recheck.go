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
	// Published are the findings already published for it.
	Published []Finding `json:"published,omitempty"`
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

// Encode returns the message body, compressing the record when the message
// would not fit in SQS otherwise.
func (m Message) Encode() (string, error) {
	b, err := json.Marshal(m)
	if err != nil || len(b) <= maxBody {
		return string(b), err
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(m.Record)
	if err := w.Close(); err != nil {
		return "", err
	}
	m.Record, m.RecordGzip = nil, base64.StdEncoding.EncodeToString(z.Bytes())
	if b, err = json.Marshal(m); err != nil {
		return "", err
	}
	if len(b) > maxBody {
		return "", fmt.Errorf("re-check message of %d bytes exceeds SQS's %d even compressed", len(b), maxBody)
	}
	return string(b), nil
}

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
		if m.Record, err = io.ReadAll(io.LimitReader(r, 16<<20)); err != nil {
			return m, fmt.Errorf("re-check message: recordGzip: %w", err)
		}
		m.RecordGzip = ""
	}
	if len(m.Record) == 0 || m.Attempt < 1 || m.FirstSeen.IsZero() {
		return m, errors.New("re-check message: no record, attempt or firstSeen")
	}
	return m, nil
}

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
