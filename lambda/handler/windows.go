package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
)

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
	for _, m := range ev.Records {
		if !noticewindow.IsClose(m.Body) {
			rest = append(rest, m)
			continue
		}
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
