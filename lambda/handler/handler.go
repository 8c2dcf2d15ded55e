package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Publisher sends a verdict (a violation, or an operational notice for an
// error) to the security team.
type Publisher interface {
	Publish(ctx context.Context, v verify.Verdict) (string, error)
}

// Queue takes re-checks of records whose results were not visible yet.
type Queue interface {
	Send(ctx context.Context, m recheck.Message, delay time.Duration) error
}

// Hub imports a verdict's findings into Security Hub, resolving those of
// published that it no longer raises.
type Hub interface {
	Import(ctx context.Context, v verify.Verdict, published []recheck.Finding) error
}

// Handler evaluates the CloudTrail records EventBridge delivers, and the
// re-checks its own queue delivers.
type Handler struct {
	engine    *verify.Engine
	publisher Publisher
	queue     Queue // nil: no re-check queue configured
	hub       Hub   // nil: Security Hub is off
	// ledger records what was published (the delivery table); nil: each
	// re-check message carries its record's published findings instead.
	ledger   delivery.Ledger
	schedule recheck.Schedule
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	reserve  time.Duration // kept free for deliveries after an evaluation (budget.go); 0: evalMargin
	bus      bool          // publisher is a withEvents: the topic and the bus are claimed apart (perdest.go)
}

// Handle accepts every input shape of formats.md §1 (EventBridge delivers an
// event whose detail is a CloudTrail record), and SQS events of re-checks.
// For those it answers which messages failed, so that only they come back.
// It returns an error only for what a retry can fix: a transient lookup,
// publish or queue failure. Malformed and out-of-scope records are logged
// and not retried.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (*events.SQSEventResponse, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	if ev, ok := sqsEvent(payload); ok {
		return h.handleRechecks(ctx, log, ev), nil
	}
	var errs []error
	items := cloudtrail.DecodeAll(payload)
	for _, it := range items {
		// A re-check carries the event as it came (its envelope included)
		// when the payload is that one event, else the record alone.
		raw := json.RawMessage(payload)
		if len(items) > 1 && it.Record != nil {
			raw, _ = json.Marshal(it.Record)
		}
		errs = append(errs, h.process(ctx, log, it, raw, state{firstSeen: h.now(), account: it.EnvelopeAccount}))
	}
	return nil, errors.Join(errs...)
}

// sqsEvent recognises an SQS event: a "Records" list whose entries come from
// aws:sqs (a CloudTrail log file has "Records" too).
func sqsEvent(payload json.RawMessage) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if !bytes.Contains(payload, []byte(`"aws:sqs"`)) || json.Unmarshal(payload, &ev) != nil || len(ev.Records) == 0 {
		return ev, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return ev, false
		}
	}
	return ev, true
}

// handleRechecks evaluates each re-check message again from scratch. A
// message whose evaluation must be retried is reported as a batch item
// failure and comes back after the queue's visibility timeout. A message the
// function cannot have written (malformed, an attempt out of range, a
// first-seen time outside [eventTime, now], an account that contradicts its
// envelope) is not evaluated: it becomes an operational notice and a metric.
func (h *Handler) handleRechecks(ctx context.Context, log *slog.Logger, ev events.SQSEvent) *events.SQSEventResponse {
	resp := &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, msg := range ev.Records {
		if err := h.recheckOne(ctx, log, msg); err != nil {
			log.Warn("re-check to be retried", "messageId", msg.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// clockSkew is how far a first-seen time may lie outside [eventTime, now]:
// CloudTrail's and Lambda's clocks are not the same clock.
const clockSkew = time.Minute

func (h *Handler) recheckOne(ctx context.Context, log *slog.Logger, msg events.SQSMessage) error {
	m, err := recheck.Parse(msg.Body)
	if err != nil {
		return h.reject(ctx, log, msg, nil, err.Error())
	}
	items := cloudtrail.DecodeAll(m.Record)
	if len(items) != 1 || items[0].Record == nil {
		return h.reject(ctx, log, msg, nil, "the record decodes to "+itoa(len(items))+" items")
	}
	it := items[0]
	now := h.now()
	eventTime, timeErr := time.Parse(time.RFC3339Nano, it.Record.Time())
	switch {
	case m.Attempt < 1 || m.Attempt > h.schedule.MaxAttempts():
		return h.reject(ctx, log, msg, it.Record, fmt.Sprintf("attempt %d outside 1..%d", m.Attempt, h.schedule.MaxAttempts()))
	case m.FirstSeen.After(now.Add(clockSkew)):
		return h.reject(ctx, log, msg, it.Record, "firstSeen "+m.FirstSeen.UTC().Format(time.RFC3339)+" is in the future")
	case timeErr == nil && m.FirstSeen.Before(eventTime.Add(-clockSkew)):
		return h.reject(ctx, log, msg, it.Record, "firstSeen "+m.FirstSeen.UTC().Format(time.RFC3339)+" is before the event's time")
	case m.Account == "":
		return h.reject(ctx, log, msg, it.Record, "no envelope account")
	case it.EnvelopeAccount != "" && it.EnvelopeAccount != m.Account:
		return h.reject(ctx, log, msg, it.Record, "account "+m.Account+" differs from the envelope's "+it.EnvelopeAccount)
	}
	// The same check as the first look: the record's account must be the
	// envelope's.
	it.EnvelopeAccount = m.Account
	age := now.Sub(m.FirstSeen)
	log.Info("re-check", "messageId", msg.MessageId, "eventID", recordID(it), "attempt", m.Attempt,
		emf(now, metric{Name: metricRecheckAttempts, Unit: "Count", Value: 1}, metric{Name: metricRecheckAge, Unit: "Seconds", Value: age.Seconds()}))
	st := state{attempt: m.Attempt, firstSeen: m.FirstSeen, account: m.Account, published: m.Published, hubFailures: m.HubFailures}
	if m.EBD != nil || m.DEF != "" || m.OrigEncrypted != nil {
		st.settings = &verify.CarriedSettings{EBD: m.EBD, DEF: m.DEF, OrigEncrypted: m.OrigEncrypted, OrigKeyARN: m.OrigKeyARN}
	}
	return h.process(ctx, log, it, m.Record, st)
}

// reject turns a re-check message the function cannot trust into an
// operational notice (once per message) and a metric; it is not evaluated.
func (h *Handler) reject(ctx context.Context, log *slog.Logger, msg events.SQSMessage, r *cloudtrail.Record, why string) error {
	v := verify.Verdict{Status: verify.StatusError, Resources: []verify.Resource{}, Findings: []verify.Finding{},
		Reason: "invalid re-check message " + printable.String(msg.MessageId) + ": " + why, ErrorClass: verify.ClassRecheck}
	if r != nil {
		v.EventID, v.EventName, v.EventTime = printable.String(string(r.EventID)), string(r.EventName), r.Time()
		v.Account, v.Region = r.Account(), string(r.AWSRegion)
	}
	if v.EventID == "" {
		v.EventID = "sqs-message:" + printable.String(msg.MessageId)
	}
	if len(v.Reason) > 2048 {
		v.Reason = v.Reason[:2048]
	}
	log.Error("re-check message rejected", "messageId", msg.MessageId, "eventID", v.EventID, "reason", v.Reason,
		emf(h.now(), metric{Name: metricRecheckRejected, Unit: "Count", Value: 1}))
	h.countNotice(log, v)
	return h.deliverNotice(ctx, log, h.ledgerFor(state{}), v)
}

func recordID(it cloudtrail.Item) string {
	if it.Record == nil {
		return ""
	}
	return string(it.Record.EventID)
}
