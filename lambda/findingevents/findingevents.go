// Package findingevents puts a verdict on an EventBridge bus, so that a rule
// can route ebsguard's findings and operational notices as it routes
// GuardDuty's or Security Hub's: to a paging topic, an archive, another
// account's bus.
//
// One event per published verdict: a violation's findings (the findings not
// published before, as on the topic) or a permanent error's notice. The
// event's source and detail-types are a contract (docs/integrations.md):
// rules match on them.
package findingevents

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The event's source and detail-types. Stable: changing one breaks every
// rule that matches it.
const (
	Source = "ebsguard"
	// DetailTypeFinding is a violation: detail is the verdict with its findings.
	DetailTypeFinding = "EBS Encryption Finding"
	// DetailTypeNotice is a permanent error: a record that could not be
	// checked, and why (detail.reason).
	DetailTypeNotice = "ebsguard Operational Notice"
)

// maxEntry is EventBridge's limit on one entry (256 KB, counting the source,
// the detail-type, the detail, the resources and the bus name), less room
// for everything but the detail.
const maxEntry = 240 << 10

// API is the part of EventBridge the publisher calls.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

// Publisher puts verdicts on one bus.
type Publisher struct {
	api API
	bus string
	now func() time.Time
}

// New returns a publisher to a bus, by name or ARN ("" or "default" is the
// account's default bus).
func New(api API, bus string) *Publisher {
	return &Publisher{api: api, bus: bus, now: time.Now}
}

// DetailType is the detail-type of a verdict's event, and false for a
// verdict that is not put on the bus.
func DetailType(v verify.Verdict) (string, bool) {
	switch v.Status {
	case verify.StatusViolation:
		return DetailTypeFinding, true
	case verify.StatusError:
		return DetailTypeNotice, true
	}
	return "", false
}

// Entry is the event of a verdict: the verdict in detail, cut by the same
// rule as the SNS message when it is too large for one entry.
func Entry(bus string, v verify.Verdict, now time.Time) (ebtypes.PutEventsRequestEntry, error) {
	dt, ok := DetailType(v)
	if !ok {
		return ebtypes.PutEventsRequestEntry{}, fmt.Errorf("findingevents: a %s verdict is not put on the bus (event %s)", v.Status, printable.String(v.EventID))
	}
	detail, err := notify.Fit(v, maxEntry, "EventBridge", func(v verify.Verdict) ([]byte, error) { return v.JSON() })
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, fmt.Errorf("encode event of %s: %w", printable.String(v.EventID), err)
	}
	e := ebtypes.PutEventsRequestEntry{
		Source:     aws.String(Source),
		DetailType: aws.String(dt),
		Detail:     aws.String(string(detail)),
		Time:       aws.Time(now),
	}
	if bus != "" {
		e.EventBusName = aws.String(bus)
	}
	return e, nil
}

// Put puts the event of a violation or a permanent error, and returns its
// EventBridge event ID.
func (p *Publisher) Put(ctx context.Context, v verify.Verdict) (string, error) {
	e, err := Entry(p.bus, v, p.now())
	if err != nil {
		return "", err
	}
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{e}})
	if err != nil {
		return "", fmt.Errorf("put %s event of %s on bus %s: %w", v.Status, printable.String(v.EventID), p.busName(), err)
	}
	// PutEvents answers 200 with a failed entry: throttling, an internal
	// error. The caller retries.
	if out.FailedEntryCount > 0 || len(out.Entries) != 1 || out.Entries[0].ErrorCode != nil {
		code, msg := "", ""
		if len(out.Entries) == 1 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		return "", fmt.Errorf("put %s event of %s on bus %s: entry failed: %s %s", v.Status, printable.String(v.EventID), p.busName(), code, msg)
	}
	return aws.ToString(out.Entries[0].EventId), nil
}

func (p *Publisher) busName() string {
	if p.bus == "" {
		return "default"
	}
	return p.bus
}
