package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// state is what a look at a record knows from the looks before it.
type state struct {
	attempt   int // 0 for the first look
	firstSeen time.Time
	published []recheck.Finding // the findings already published
	// settings are EBD, DEF (and a root replacement's ORIG) as the first
	// look read them; nil on the first look.
	settings *verify.CarriedSettings
}

// Timing of one evaluation within an invocation.
const (
	// evalMargin is kept free before the invocation's deadline, so that a
	// slow API ends as a retryable error rather than "Task timed out".
	evalMargin = 5 * time.Second
	// soonDelays are the in-process waits for results that show within
	// seconds (a launch's volumes), before a re-check is queued.
	maxSoonWait = 4 * time.Second
)

var soonDelays = []time.Duration{time.Second, 2 * time.Second, maxSoonWait}

// process evaluates one record and sends its verdict where a person or an
// alarm sees it: findings not published before to the topic, a permanent
// error as an operational notice, results not visible yet to the re-check
// queue. It returns an error when a retry of the invocation (or of the
// re-check message) is needed.
func (h *Handler) process(ctx context.Context, log *slog.Logger, it cloudtrail.Item, raw []byte, st state) error {
	evalCtx, cancel := h.evaluationContext(ctx)
	defer cancel()
	v := h.engine.Recheck(evalCtx, it, verify.Check{Attempt: st.attempt, Settings: st.settings})
	for _, d := range soonDelays {
		if !v.RetrySoon || len(v.Pending()) == 0 || v.Retryable || !h.timeLeft(ctx, d) {
			break
		}
		// A launch's volumes are listed a moment after the call: look again
		// before spending a re-check.
		if h.sleep(ctx, min(d, h.schedule.Delay(1))) != nil {
			break
		}
		v = h.engine.Recheck(evalCtx, it, verify.Check{Attempt: st.attempt, Settings: st.settings})
	}
	pending := v.Pending()
	expired := len(pending) > 0 && v.Status != verify.StatusViolation && !v.Retryable && h.schedule.Expired(st.firstSeen, h.now())
	if expired {
		v.Status, v.Reason = verify.StatusError, "still-pending:"+recheck.Age(h.now().Sub(st.firstSeen))
		v.ErrorClass = verify.ClassStillPending
	}
	logVerdict(log, v, h.now())

	published, fresh := newFindings(v, st.published)
	if h.hub != nil && (len(fresh.Findings) > 0 || len(st.published) > 0) {
		// Before the topic: a failed import is retried with the whole record,
		// and re-importing a finding only updates it.
		if err := h.hub.Import(ctx, v, st.published); err != nil {
			log.Error("security hub import failed", "eventID", v.EventID, "error", err)
			return err
		}
	}
	if len(fresh.Findings) > 0 {
		id, err := h.publisher.Publish(ctx, fresh)
		if err != nil {
			log.Error("publish failed", "eventID", v.EventID, "error", err)
			return err
		}
		log.Info("published", "eventID", v.EventID, "messageId", id, "findings", len(fresh.Findings))
	}
	switch {
	case v.Retryable && len(published) > len(st.published):
		// Some findings are out; a retry of the whole event would send them
		// again. Look again through the queue instead, remembering them.
		return h.queueRecheck(ctx, log, v, raw, st, published)
	case v.Retryable:
		return fmt.Errorf("event %s: %s", v.EventID, v.Reason)
	case v.Status == verify.StatusError:
		// Permanent: a person must act (deploy the reader role, fix an SCP or
		// a key alias), and the alarm on error verdicts fires.
		id, err := h.publisher.Publish(ctx, v)
		if err != nil {
			log.Error("publish failed", "eventID", v.EventID, "error", err)
			return err
		}
		log.Warn("not evaluated", "eventID", v.EventID, "reason", v.Reason, "messageId", id)
	case len(pending) > 0 && !expired:
		return h.queueRecheck(ctx, log, v, raw, st, published)
	}
	return nil
}

// newFindings returns every finding published once this verdict is, and the
// verdict cut to the findings not published before.
func newFindings(v verify.Verdict, before []recheck.Finding) ([]recheck.Finding, verify.Verdict) {
	published := slices.Clone(before)
	fresh := v
	fresh.Findings = nil
	for _, f := range v.Findings {
		k := recheck.Finding{Resource: f.Resource, Code: f.Code}
		if !slices.Contains(before, k) {
			fresh.Findings = append(fresh.Findings, f)
			published = append(published, k)
		}
	}
	fresh.Resources = make([]verify.Resource, len(v.Resources))
	for i, r := range v.Resources {
		r.Findings = slices.DeleteFunc(slices.Clone(r.Findings), func(code string) bool {
			return slices.Contains(before, recheck.Finding{Resource: r.Resource, Code: code})
		})
		fresh.Resources[i] = r
	}
	return published, fresh
}

// queueRecheck sends the record to the re-check queue with the next delay.
func (h *Handler) queueRecheck(ctx context.Context, log *slog.Logger, v verify.Verdict, raw []byte, st state, published []recheck.Finding) error {
	if h.queue == nil {
		log.Error("not visible yet and no re-check queue configured: the record will not be checked again", "eventID", v.EventID)
		return nil
	}
	m := recheck.Message{Record: raw, Attempt: st.attempt + 1, FirstSeen: st.firstSeen, Published: published}
	if c := v.Settings; c != nil {
		m.EBD, m.DEF, m.OrigEncrypted, m.OrigKeyARN = c.EBD, c.DEF, c.OrigEncrypted, c.OrigKeyARN
	}
	delay := h.schedule.Delay(m.Attempt)
	if err := h.queue.Send(ctx, m, delay); err != nil {
		log.Error("re-check not queued", "eventID", v.EventID, "error", err)
		return err
	}
	log.Info("re-check queued", "eventID", v.EventID, "attempt", m.Attempt, "delay", delay.String(), "pending", len(v.Pending()))
	return nil
}

// evaluationContext bounds an evaluation by the invocation's deadline, less a
// margin, so that a slow API ends as a retryable error the function reports.
func (h *Handler) evaluationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-h.evalReserve(dl)))
	}
	return context.WithCancel(ctx)
}

// timeLeft reports whether the invocation can wait d and still evaluate.
func (h *Handler) timeLeft(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d+4*evalMargin
}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errors.Join(ctx.Err())
	}
}
