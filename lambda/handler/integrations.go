package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/lambda/findingevents"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// integrate adds the optional destinations to a handler built with the
// topic (and, configured, Security Hub and the re-check queue): the bus,
// the notice windows, and every destination's budget. It returns the
// function's entry point. dcfg is the destinations' client configuration.
func integrate(h *Handler, cfg Config, dcfg aws.Config, log *slog.Logger) func(context.Context, json.RawMessage) (*events.SQSEventResponse, error) {
	h.publisher = budgetedPublisher{h.publisher}
	if cfg.EventBus != "" {
		put := budgetedPutter{findingevents.New(eventbridge.NewFromConfig(dcfg), cfg.EventBus)}
		h.publisher = withEvents{Publisher: h.publisher, events: put, log: log}
	}
	if h.hub != nil {
		h.hub = budgetedHub{h.hub}
	}
	if h.queue != nil {
		h.queue = budgetedQueue{h.queue}
	}
	h.reserve = reserveFor(h.hub != nil, cfg.EventBus != "", h.queue != nil, cfg.NoticeTable != "")
	if cfg.NoticeTable == "" {
		return h.Handle
	}
	agg := noticewindow.NewAggregator(h.publisher, noticewindow.NewTable(dynamodb.NewFromConfig(dcfg), cfg.NoticeTable, cfg.NoticeWindow),
		sqs.NewFromConfig(dcfg), cfg.RecheckQueueURL, time.Now, log)
	h.publisher = budgetedWindows{agg}
	return withWindows{h: h, agg: agg, log: log}.Handle
}

// budgetedWindows bounds a notice's count in its window: up to three
// writes (the count, the close's message, its mark), one budget each; a
// notice it passes on is published within its destinations' own budgets.
type budgetedWindows struct{ *noticewindow.Aggregator }

func (w budgetedWindows) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*DeliveryBudget.Total())
	defer cancel()
	return w.Aggregator.Publish(ctx, v)
}
