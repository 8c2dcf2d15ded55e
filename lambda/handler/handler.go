package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Publisher sends a violation to the security team.
type Publisher interface {
	Publish(ctx context.Context, v verify.Verdict) (string, error)
}

// Handler evaluates the CloudTrail records EventBridge delivers.
type Handler struct {
	engine    *verify.Engine
	publisher Publisher
	log       *slog.Logger
}

// Handle accepts every input shape of formats.md §1 (EventBridge delivers an
// event whose detail is a CloudTrail record). It returns an error only for
// what a retry can fix: a transient lookup or publish failure. Malformed and
// out-of-scope records are logged and not retried.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) error {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	var errs []error
	for _, it := range cloudtrail.DecodeAll(payload) {
		v := h.engine.Evaluate(ctx, it)
		log.Info("evaluated", "eventID", v.EventID, "eventName", v.EventName, "account", v.Account, "region", v.Region,
			"status", v.Status, "resources", len(v.Resources), "findings", len(v.Findings), "verdict", v)
		log.Debug("lookups", "eventID", v.EventID, "calls", v.Calls)
		for _, f := range v.Findings {
			log.Warn("finding", "eventID", v.EventID, "code", f.Code, "severity", f.Severity, "resourceID", f.Resource)
		}
		switch v.Status {
		case verify.StatusViolation:
			id, err := h.publisher.Publish(ctx, v)
			if err != nil {
				log.Error("publish failed", "eventID", v.EventID, "error", err)
				errs = append(errs, err)
				continue
			}
			log.Info("published", "eventID", v.EventID, "messageId", id)
		case verify.StatusError:
			if v.Retryable {
				errs = append(errs, fmt.Errorf("event %s: %s", v.EventID, v.Reason))
			} else {
				log.Warn("not evaluated", "eventID", v.EventID, "reason", v.Reason)
			}
		}
	}
	return errors.Join(errs...)
}
