package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// state is what a look at a record knows from the looks before it.
type state struct {
	attempt     int // 0 for the first look
	firstSeen   time.Time
	account     string            // the envelope account (recheck.Message.Account)
	published   []recheck.Finding // carried by the message when no table is configured
	hubFailures int               // failed Security Hub imports so far
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
// alarm sees it: findings not published before to the topic (first), then
// to Security Hub, a permanent error as an operational notice, results not
// visible yet to the re-check queue. It returns an error when a retry of the
// invocation (or of the re-check message) is needed; the delivery ledger
// makes that retry publish nothing twice.
//
// Termination: once the deadline (from st.firstSeen) has passed, a record
// is never queued again, whatever its resources hold: results still not
// visible end as an operational notice still-pending:<age> naming them,
// next to the findings published already.
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
	if st.account == "" {
		st.account = it.EnvelopeAccount
		if st.account == "" {
			st.account = v.Account
		}
	}
	now := h.now()
	pastDeadline := h.schedule.Expired(st.firstSeen, now)
	pending := v.Pending()
	expired := len(pending) > 0 && pastDeadline
	var notice *verify.Verdict
	switch {
	case expired && v.Status == verify.StatusViolation:
		// The findings go out now; the resources never seen get a notice.
		n := stillPendingNotice(v, pending, now.Sub(st.firstSeen))
		notice = &n
	case expired:
		v.Status, v.Reason, v.Retryable = verify.StatusError, stillPending+recheck.Age(now.Sub(st.firstSeen)), false
		v.ErrorClass = verify.ClassStillPending
	case v.Retryable && st.attempt > 0 && pastDeadline:
		// A lookup still failing at the deadline ends here, as a notice,
		// rather than in redeliveries past it.
		v.Retryable = false
		v.Reason = "still failing at the re-check deadline after " + recheck.Age(now.Sub(st.firstSeen)) + ": " + v.Reason
	}
	logVerdict(log, v, now)

	led := h.ledgerFor(st)
	held := false
	if len(v.Findings) > 0 {
		var err error
		if held, err = h.deliverFindings(ctx, log, led, v); err != nil {
			return err
		}
	}
	hubErr := h.importHub(ctx, log, led, v)
	if hubErr != nil && (st.hubFailures+1 > recheck.MaxHubRetries() || pastDeadline || h.queue == nil) {
		// Retried enough (or cannot be): say so once, and stop retrying.
		n := hubNotice(v, hubErr)
		h.countNotice(log, n)
		if err := h.deliverNotice(ctx, log, led, n); err != nil {
			return err
		}
		hubErr = nil
	}
	if hubErr != nil {
		st.hubFailures++
	}
	switch {
	case v.Retryable && led != h.ledger && len(v.Findings) > 0:
		// Some findings may be out, and without a table only the queue
		// remembers them: look again through the queue.
		return h.queueRecheck(ctx, log, led, v, raw, st)
	case v.Retryable:
		return fmt.Errorf("event %s: %s", v.EventID, v.Reason)
	case v.Status == verify.StatusError:
		// Permanent: a person must act (deploy the reader role, fix an SCP or
		// a key alias), and the alarm on error verdicts fires.
		return h.deliverNotice(ctx, log, led, v)
	case notice != nil:
		h.countNotice(log, *notice)
		return h.deliverNotice(ctx, log, led, *notice)
	case len(pending) == 0 && hubErr == nil && held && pastDeadline:
		// The evaluation holding them publishes them, or its retry does once
		// its lease runs out: nothing is re-checked past the deadline.
		log.Warn("findings held by another evaluation at the deadline: left to it", "eventID", v.EventID)
		return nil
	case len(pending) > 0 || held || hubErr != nil:
		return h.queueRecheck(ctx, log, led, v, raw, st)
	}
	return nil
}

// stillPending prefixes the reason of a re-check that gave up.
const stillPending = "still-pending:"

// stillPendingNotice is the operational notice of a violation whose other
// results were never seen: the resources not visible, and how long it
// waited.
func stillPendingNotice(v verify.Verdict, pending []verify.Resource, waited time.Duration) verify.Verdict {
	n := v
	n.Status, n.Reason, n.ErrorClass = verify.StatusError, stillPending+recheck.Age(waited), verify.ClassStillPending
	n.Resources, n.Findings, n.Warnings = slices.Clone(pending), []verify.Finding{}, nil
	return n
}

// queueRecheck sends the record to the re-check queue with the next delay,
// never past the deadline: the look at the deadline is the last. A message
// that cannot fit in SQS becomes an operational notice (a retry cannot make
// it fit).
func (h *Handler) queueRecheck(ctx context.Context, log *slog.Logger, led delivery.Ledger, v verify.Verdict, raw []byte, st state) error {
	if h.queue == nil {
		log.Error("not visible yet and no re-check queue configured: the record will not be checked again", "eventID", v.EventID,
			emf(h.now(), metric{Name: metricUnchecked, Unit: "Count", Value: 1}))
		return nil
	}
	m := recheck.Message{Record: raw, Attempt: st.attempt + 1, FirstSeen: st.firstSeen, Account: st.account, HubFailures: st.hubFailures}
	if c, ok := led.(*eventLedger); ok {
		for _, k := range c.c.Keys() {
			m.Published = append(m.Published, recheck.Finding{Resource: k.Resource, Code: k.Code})
		}
	}
	if c := v.Settings; c != nil {
		m.EBD, m.DEF, m.OrigEncrypted, m.OrigKeyARN = c.EBD, c.DEF, c.OrigEncrypted, c.OrigKeyARN
	}
	delay := h.schedule.Delay(m.Attempt)
	if left := st.firstSeen.Add(h.schedule.Deadline).Sub(h.now()); delay > left {
		// SQS delays in whole seconds (DelaySeconds): rounded up, the look
		// lands at or after the deadline and is the last; rounded down, a
		// remainder under a second became a delay of 0 and a burst of
		// re-checks until the deadline passed.
		delay = (max(left, 0) + time.Second - 1).Truncate(time.Second)
	}
	if err := h.queue.Send(ctx, m, delay); err != nil {
		if errors.Is(err, recheck.ErrTooLarge) {
			log.Error("re-check does not fit in SQS", "eventID", v.EventID, "error", err)
			n := v
			n.Status, n.Reason, n.Findings, n.Warnings = verify.StatusError, "re-check-too-large: "+err.Error(), []verify.Finding{}, nil
			n.ErrorClass = verify.ClassRecheck
			n.Resources = v.Pending()
			h.countNotice(log, n)
			return h.deliverNotice(ctx, log, led, n)
		}
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
