package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
)

// closeChain is the longest a window's close takes: the claim, the topic,
// the bus, and the reopening when a publish failed, one budget each, and
// the invocation's margin.
var closeChain = 4*DeliveryBudget.Total() + evalMargin

// withWindows is the function's entry point when notices are aggregated: the
// re-check queue also carries the notice windows' closes, which it handles
// itself; every other message, and every other event, goes to the handler.
type withWindows struct {
	h   *Handler
	agg *noticewindow.Aggregator
	log *slog.Logger
}

func (w withWindows) Handle(ctx context.Context, payload json.RawMessage) (*events.SQSEventResponse, error) {
	ev, ok := sqsEvent(payload)
	if !ok {
		return w.h.Handle(ctx, payload)
	}
	failed := []events.SQSBatchItemFailure{}
	var rest []events.SQSMessage
	handled := 0
	for _, m := range ev.Records {
		if !noticewindow.IsClose(m.Body) {
			rest = append(rest, m)
			continue
		}
		// A close claims its window before it publishes: cut off between
		// the two by the deadline, it would leave the window closed and its
		// notice unpublished. With less time left than a close's chain, the
		// message comes back later; the first of an invocation always runs,
		// so that a short timeout still makes progress.
		if dl, ok := ctx.Deadline(); ok && handled > 0 && time.Until(dl) < closeChain {
			failed = append(failed, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		handled++
		if err := w.agg.HandleClose(ctx, m.Body); err != nil {
			w.log.Error("notice window close to be retried", "messageId", m.MessageId, "error", err)
			failed = append(failed, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	if len(rest) == 0 {
		return &events.SQSEventResponse{BatchItemFailures: failed}, nil
	}
	ev.Records = rest
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	resp, err := w.h.Handle(ctx, b)
	if resp != nil {
		resp.BatchItemFailures = append(resp.BatchItemFailures, failed...)
	}
	return resp, err
}
