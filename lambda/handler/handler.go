package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
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
	schedule  recheck.Schedule
	log       *slog.Logger
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	reserve   time.Duration // kept free for deliveries after an evaluation (budget.go); 0: evalMargin
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
		errs = append(errs, h.process(ctx, log, it, raw, state{firstSeen: h.now()}))
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
// failure and comes back after the queue's visibility timeout.
func (h *Handler) handleRechecks(ctx context.Context, log *slog.Logger, ev events.SQSEvent) *events.SQSEventResponse {
	resp := &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, msg := range ev.Records {
		m, err := recheck.Parse(msg.Body)
		if err != nil {
			// A message this function did not write: nothing a retry fixes.
			log.Error("malformed re-check message", "messageId", msg.MessageId, "error", err)
			continue
		}
		items := cloudtrail.DecodeAll(m.Record)
		if len(items) != 1 {
			log.Error("malformed re-check message", "messageId", msg.MessageId, "error", "the record decodes to "+itoa(len(items))+" items")
			continue
		}
		age := h.now().Sub(m.FirstSeen)
		log.Info("re-check", "messageId", msg.MessageId, "eventID", recordID(items[0]), "attempt", m.Attempt,
			emf(h.now(), metric{Name: metricRecheckAttempts, Unit: "Count", Value: 1}, metric{Name: metricRecheckAge, Unit: "Seconds", Value: age.Seconds()}))
		st := state{attempt: m.Attempt, firstSeen: m.FirstSeen, published: m.Published}
		if m.EBD != nil || m.DEF != "" || m.OrigEncrypted != nil {
			st.settings = &verify.CarriedSettings{EBD: m.EBD, DEF: m.DEF, OrigEncrypted: m.OrigEncrypted, OrigKeyARN: m.OrigKeyARN}
		}
		if err := h.process(ctx, log, items[0], m.Record, st); err != nil {
			log.Warn("re-check to be retried", "messageId", msg.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

func recordID(it cloudtrail.Item) string {
	if it.Record == nil {
		return ""
	}
	return string(it.Record.EventID)
}
