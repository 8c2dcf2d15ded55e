package main

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Metrics the function emits in CloudWatch Embedded Metric Format, as part of
// its JSON log lines: CloudWatch Logs extracts them, with no PutMetricData
// call and no permission beyond writing logs.
const (
	metricFindings        = "Findings"      // by dimension "code"
	metricLookupErrors    = "LookupErrors"  // by dimension "errorCode"
	metricErrorVerdicts   = "ErrorVerdicts" // by dimension "errorClass"
	metricAWSCalls        = "AWSCalls"      // per event
	metricRecheckAttempts = "RecheckAttempts"
	metricRecheckAge      = deployment.MetricRecheckAge
)

// metric is one value of an EMF log line; Dimension names the log key (also
// on the line) that the value is broken down by, if any.
type metric struct {
	Name, Unit, Dimension string
	Value                 float64
}

// emf is the "_aws" metadata of an EMF log line, followed by the values:
// one metric directive per dimension set.
func emf(now time.Time, ms ...metric) slog.Attr {
	var directives []any
	for _, m := range ms {
		dims := []string{}
		if m.Dimension != "" {
			dims = append(dims, m.Dimension)
		}
		directives = append(directives, map[string]any{
			"Namespace":  deployment.MetricsNamespace,
			"Dimensions": [][]string{dims},
			"Metrics":    []map[string]string{{"Name": m.Name, "Unit": m.Unit}},
		})
	}
	attrs := []any{slog.Any("_aws", map[string]any{"Timestamp": now.UnixMilli(), "CloudWatchMetrics": directives})}
	for _, m := range ms {
		attrs = append(attrs, slog.Float64(m.Name, m.Value))
	}
	return slog.Group("", attrs...)
}

// maxLogVerdict keeps one log line well under CloudWatch Logs' event size
// limit (256 KB), with room for the other keys.
const maxLogVerdict = 200 << 10

// logVerdict logs the verdict as one "evaluated" line (verdicts by status,
// AWS calls per event), a "finding" line per finding (findings by code) and a
// "lookup error" line per failed lookup (lookup errors by AWS error code). A
// verdict too large for one line is logged in parts: the line without its
// resources and findings, then "verdict part" lines that carry them.
func logVerdict(log *slog.Logger, v verify.Verdict, now time.Time) {
	calls := 0
	for _, n := range v.Calls {
		calls += n
	}
	parts := splitVerdict(v)
	log.Info("evaluated", "eventID", v.EventID, "eventName", v.EventName, "account", v.Account, "region", v.Region,
		"status", v.Status, "resources", len(v.Resources), "findings", len(v.Findings), "parts", len(parts), "verdict", parts[0],
		emf(now, metric{Name: deployment.MetricVerdicts, Unit: "Count", Dimension: deployment.DimensionStatus, Value: 1},
			metric{Name: metricAWSCalls, Unit: "Count", Value: float64(calls)}))
	for i, p := range parts[1:] {
		log.Info("verdict part", "eventID", v.EventID, "part", i+2, "parts", len(parts), "verdict", p)
	}
	log.Debug("lookups", "eventID", v.EventID, "calls", v.Calls)
	for _, f := range v.Findings {
		log.Warn("finding", "eventID", v.EventID, "code", f.Code, "severity", f.Severity, "resourceID", f.Resource,
			emf(now, metric{Name: metricFindings, Unit: "Count", Dimension: "code", Value: 1}))
	}
	for _, code := range v.ErrorCodes {
		log.Warn("lookup error", "eventID", v.EventID, "errorCode", code,
			emf(now, metric{Name: metricLookupErrors, Unit: "Count", Dimension: "errorCode", Value: 1}))
	}
	if v.Status == verify.StatusError {
		// By class, the word the SNS "error" attribute carries: an alarm on
		// one class (reader-role after a StackSet change) needs no log filter.
		log.Warn("error verdict", "eventID", v.EventID, "errorClass", string(v.ErrorClass),
			emf(now, metric{Name: metricErrorVerdicts, Unit: "Count", Dimension: "errorClass", Value: 1}))
	}
}

// splitVerdict returns the verdict whole when it fits one line, else its
// head without resources and findings followed by parts that each carry some
// of them.
func splitVerdict(v verify.Verdict) []verify.Verdict {
	if b, err := v.JSON(); err == nil && len(b) <= maxLogVerdict {
		return []verify.Verdict{v}
	}
	head := v
	head.Resources, head.Findings = []verify.Resource{}, []verify.Finding{}
	out := []verify.Verdict{head}
	part, size := verify.Verdict{EventID: v.EventID}, 0
	flush := func() {
		if len(part.Resources)+len(part.Findings) > 0 {
			out = append(out, part)
		}
		part, size = verify.Verdict{EventID: v.EventID}, 0
	}
	for _, r := range v.Resources {
		n := jsonSize(r)
		if size+n > maxLogVerdict {
			flush()
		}
		part.Resources, size = append(part.Resources, r), size+n
	}
	for _, f := range v.Findings {
		n := jsonSize(f)
		if size+n > maxLogVerdict {
			flush()
		}
		part.Findings, size = append(part.Findings, f), size+n
	}
	flush()
	return out
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
