package main

import (
	"context"
	"log/slog"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// EventPutter puts a published verdict on an EventBridge bus
// (lambda/findingevents).
type EventPutter interface {
	Put(ctx context.Context, v verify.Verdict) (string, error)
}

// withEvents is the Publisher of a deployment that also routes verdicts
// through EventBridge: the topic first, then the bus. A failed put fails the
// publication, so that the record is retried like a failed publish.
type withEvents struct {
	Publisher
	events EventPutter
	log    *slog.Logger
}

func (p withEvents) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	id, err := p.Publisher.Publish(ctx, v)
	if err != nil {
		return "", err
	}
	eventID, err := p.events.Put(ctx, v)
	if err != nil {
		return id, err
	}
	p.log.Info("event put", "eventID", v.EventID, "busEventId", eventID, "status", v.Status)
	return id, nil
}
