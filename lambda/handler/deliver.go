package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Metrics of the delivery guarantees (docs/guarantees.md, docs/operations.md).
const (
	metricRecheckRejected     = "RecheckRejected"     // a re-check message the function did not write, or broken
	metricSecurityHubFailures = "SecurityHubFailures" // failed imports (each retried alone)
	metricDeliveryErrors      = "DeliveryErrors"      // the ledger could not be read or written
	metricUnchecked           = "Unchecked"           // pending with no re-check queue
)

// ledgerFor is the ledger of one record: the table when one is configured,
// else the published findings its re-check message carried.
func (h *Handler) ledgerFor(st state) delivery.Ledger {
	if h.ledger != nil {
		return h.ledger
	}
	keys := make([]delivery.Key, 0, len(st.published))
	for _, f := range st.published {
		keys = append(keys, delivery.Key{EventID: "", Resource: f.Resource, Code: f.Code})
	}
	return &eventLedger{c: delivery.NewCarried(keys)}
}

// findingKeys are the delivery keys of a verdict's findings.
func findingKeys(v verify.Verdict) []delivery.Key {
	keys := make([]delivery.Key, len(v.Findings))
	for i, f := range v.Findings {
		keys[i] = delivery.Key{EventID: v.EventID, Resource: f.Resource, Code: f.Code}
	}
	return keys
}

// deliverFindings publishes the verdict's findings that the ledger admits,
// in as many messages as SNS's limit needs, and marks each published. It
// reports whether some are held by another evaluation (look again later).
func (h *Handler) deliverFindings(ctx context.Context, log *slog.Logger, led delivery.Ledger, v verify.Verdict) (held bool, err error) {
	claim, err := led.Claim(ctx, findingKeys(v))
	if err != nil {
		log.Error("delivery ledger: claim failed", "eventID", v.EventID, "error", err, emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
		return false, err
	}
	if len(claim.Held) > 0 {
		log.Info("findings held by another evaluation", "eventID", v.EventID, "held", len(claim.Held))
	}
	if len(claim.Admitted) == 0 {
		return len(claim.Held) > 0, nil
	}
	admitted := make(map[delivery.Key]bool, len(claim.Admitted))
	for _, k := range claim.Admitted {
		admitted[k] = true
	}
	fresh := v
	fresh.Findings = nil
	for _, f := range v.Findings {
		if admitted[delivery.Key{EventID: v.EventID, Resource: f.Resource, Code: f.Code}] {
			fresh.Findings = append(fresh.Findings, f)
		}
	}
	fresh.Resources = make([]verify.Resource, len(v.Resources))
	for i, r := range v.Resources {
		r.Findings = slicesFilter(r.Findings, func(code string) bool {
			return admitted[delivery.Key{EventID: v.EventID, Resource: r.Resource, Code: code}]
		})
		fresh.Resources[i] = r
	}
	parts := notify.Parts(fresh)
	for i, part := range parts {
		keys := findingKeys(part)
		id, err := h.publisher.Publish(ctx, part)
		if err != nil && id != "" {
			// The topic has it; a later destination (the bus) failed. The
			// topic's copy is marked published, so that the retry this
			// error causes does not repeat it.
			log.Error("publish: a destination after the topic failed", "eventID", v.EventID, "messageId", id, "error", err)
			if cerr := led.Confirm(context.WithoutCancel(ctx), keys); cerr != nil {
				log.Error("delivery ledger: confirm failed", "eventID", v.EventID, "error", cerr,
					emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
			}
			var rest []delivery.Key
			for _, p := range parts[i+1:] {
				rest = append(rest, findingKeys(p)...)
			}
			if rerr := led.Release(context.WithoutCancel(ctx), rest); rerr != nil {
				log.Error("delivery ledger: release failed; the claims run out by their lease", "eventID", v.EventID, "error", rerr)
			}
			return false, err
		}
		if err != nil {
			log.Error("publish failed", "eventID", v.EventID, "part", i+1, "parts", len(parts), "error", err)
			var rest []delivery.Key
			for _, p := range parts[i:] {
				rest = append(rest, findingKeys(p)...)
			}
			if rerr := led.Release(context.WithoutCancel(ctx), rest); rerr != nil {
				log.Error("delivery ledger: release failed; the claims run out by their lease", "eventID", v.EventID, "error", rerr,
					emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
			}
			return false, err
		}
		if err := led.Confirm(context.WithoutCancel(ctx), keys); err != nil {
			// Published but not marked: after the claim's lease another look
			// may publish it again, with the same dedupeKeys.
			log.Error("delivery ledger: confirm failed", "eventID", v.EventID, "error", err,
				emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
		}
		log.Info("published", "eventID", v.EventID, "messageId", id, "findings", len(part.Findings), "part", i+1, "parts", len(parts))
	}
	return len(claim.Held) > 0, nil
}

// deliverNotice publishes an operational notice once per event and reason.
func (h *Handler) deliverNotice(ctx context.Context, log *slog.Logger, led delivery.Ledger, v verify.Verdict) error {
	k := delivery.NoticeKey(v.EventID, notify.DedupeKey(v))
	claim, err := led.Claim(ctx, []delivery.Key{k})
	if err != nil {
		log.Error("delivery ledger: claim failed", "eventID", v.EventID, "error", err, emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
		return err
	}
	if len(claim.Admitted) == 0 {
		log.Info("notice sent before", "eventID", v.EventID, "reason", v.Reason)
		return nil
	}
	id, err := h.publisher.Publish(ctx, v)
	if err != nil && id != "" {
		// The topic has the notice; a later destination failed.
		log.Error("publish: a destination after the topic failed", "eventID", v.EventID, "messageId", id, "error", err)
		if cerr := led.Confirm(context.WithoutCancel(ctx), claim.Admitted); cerr != nil {
			log.Error("delivery ledger: confirm failed", "eventID", v.EventID, "error", cerr)
		}
		return err
	}
	if err != nil {
		log.Error("publish failed", "eventID", v.EventID, "error", err)
		if rerr := led.Release(context.WithoutCancel(ctx), claim.Admitted); rerr != nil {
			log.Error("delivery ledger: release failed", "eventID", v.EventID, "error", rerr)
		}
		return err
	}
	if err := led.Confirm(context.WithoutCancel(ctx), claim.Admitted); err != nil {
		log.Error("delivery ledger: confirm failed", "eventID", v.EventID, "error", err,
			emf(h.now(), metric{Name: metricDeliveryErrors, Unit: "Count", Value: 1}))
	}
	log.Warn("not evaluated", "eventID", v.EventID, "reason", v.Reason, "messageId", id)
	return nil
}

// importHub imports the verdict's findings into Security Hub after the
// topic has them. Its failure is counted and returned, never retried with
// the topic: the caller retries this destination alone.
func (h *Handler) importHub(ctx context.Context, log *slog.Logger, led delivery.Ledger, v verify.Verdict) error {
	if h.hub == nil {
		return nil
	}
	before, err := led.Published(ctx, v.EventID)
	if err != nil {
		log.Error("delivery ledger: list failed", "eventID", v.EventID, "error", err)
		before = nil
	}
	var published []recheck.Finding
	for _, k := range before {
		if k.Resource != "" || k.Code != "" {
			if !strings.HasPrefix(k.Code, "notice:") {
				published = append(published, recheck.Finding{Resource: k.Resource, Code: k.Code})
			}
		}
	}
	if len(v.Findings) == 0 && len(published) == 0 {
		return nil
	}
	if err := h.hub.Import(ctx, v, published); err != nil {
		log.Error("security hub import failed; retried for Security Hub alone", "eventID", v.EventID, "error", err,
			emf(h.now(), metric{Name: metricSecurityHubFailures, Unit: "Count", Value: 1}))
		return err
	}
	return nil
}

// countNotice counts a notice the evaluation's own "evaluated" line did not
// (a rejected message, a still-pending or Security Hub notice next to a
// violation) among the error verdicts, so that the alarm on error verdicts
// fires for it too.
func (h *Handler) countNotice(log *slog.Logger, v verify.Verdict) {
	log.Warn("operational notice", "eventID", v.EventID, deployment.DimensionStatus, verify.StatusError, "reason", v.Reason,
		emf(h.now(), metric{Name: deployment.MetricVerdicts, Unit: "Count", Dimension: deployment.DimensionStatus, Value: 1}))
}

// hubNotice is the operational notice of findings that did not reach
// Security Hub after its retries (they did reach the topic).
func hubNotice(v verify.Verdict, err error) verify.Verdict {
	n := v
	n.Status, n.Findings, n.Warnings = verify.StatusError, []verify.Finding{}, nil
	reason := printable.String(err.Error())
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	n.Reason = "security-hub-import-failed: " + reason
	n.ErrorClass = verify.ClassSecurityHub
	return n
}

func slicesFilter(in []string, keep func(string) bool) []string {
	out := []string{}
	for _, s := range in {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// eventLedger is a Carried ledger whose keys were carried without their
// event ID (one message, one event).
type eventLedger struct{ c *delivery.Carried }

func strip(keys []delivery.Key) []delivery.Key {
	out := make([]delivery.Key, len(keys))
	for i, k := range keys {
		out[i] = delivery.Key{Resource: k.Resource, Code: k.Code}
	}
	return out
}

func (e *eventLedger) Claim(ctx context.Context, keys []delivery.Key) (delivery.Claim, error) {
	c, err := e.c.Claim(ctx, strip(keys))
	restore := func(ks []delivery.Key) []delivery.Key {
		if len(keys) == 0 {
			return ks
		}
		for i := range ks {
			ks[i].EventID = keys[0].EventID
		}
		return ks
	}
	c.Admitted, c.Done, c.Held = restore(c.Admitted), restore(c.Done), restore(c.Held)
	return c, err
}
func (e *eventLedger) Confirm(ctx context.Context, keys []delivery.Key) error {
	return e.c.Confirm(ctx, strip(keys))
}
func (e *eventLedger) Release(ctx context.Context, keys []delivery.Key) error {
	return e.c.Release(ctx, strip(keys))
}
func (e *eventLedger) Published(ctx context.Context, _ string) ([]delivery.Key, error) {
	return e.c.Published(ctx, "")
}
