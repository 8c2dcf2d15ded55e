package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The demo runs the function with Security Hub on (SECURITY_HUB=true), and
// shows that destinations fail alone (issue 16, independence): for the first
// lead sample, Security Hub denies the imports for a while, as when it is
// disabled or a policy denies BatchImportFindings. The e-mail (SNS) goes out
// at once all the same, and Security Hub alone is retried through the
// re-check queue until it imports the findings, or gives up with a notice.
const (
	hubSetting = "SECURITY_HUB=true"
	// outageImports is how many imports are denied: the arrival's and the
	// first re-check's. A denial is permanent for the SDK and the importer
	// (AccessDeniedException), so each invocation makes one import call and
	// the outage spans exactly that many invocations.
	outageImports = 2
	outageAPI     = "BatchImportFindings"
	hubNoticeTag  = "security-hub-import-failed"
)

// hubOutage injects the outage before its sample and ends it once that
// sample is done or the next one arrives, whichever comes first.
type hubOutage struct {
	sample string // the sample whose imports fail
	calls  int    // imports to deny

	aws     *localaws.Server
	started bool
	over    bool
	denied  int // imports denied, once over
}

// before is localrun's BeforeSample hook.
func (o *hubOutage) before(_ int, s localrun.Sample, aws *localaws.Server, _ *localrun.SNS) {
	o.end()
	if s.Name == o.sample && !o.started {
		o.aws, o.started = aws, true
		aws.Inject(localaws.Fault{API: outageAPI, Kind: "accessdenied", Count: o.calls})
	}
}

// end stops the outage and counts the imports it denied.
func (o *hubOutage) end() {
	if o.started && !o.over {
		o.denied = o.calls - o.aws.ClearFaults()
		o.over = true
	}
}

// arrivalLine is the line under the outage sample's arrival: whether its
// e-mail went out all the same.
func (o *hubOutage) arrivalLine(emailed bool) string {
	line := "Security Hub outage (injected: " + outageAPI + " denied, AccessDeniedException): "
	if !emailed {
		return line + "NO e-mail on arrival"
	}
	return line + "the e-mail went out first; Security Hub is retried alone"
}

// recheckNote annotates a re-check of the outage sample: the re-checks
// that only retried Security Hub.
func (o *hubOutage) recheckNote(rc localrun.Recheck) string {
	if len(rc.Notifications) > 0 || pendingIn(rc) {
		return ""
	}
	switch {
	case rc.Attempt < o.denied:
		return "  (Security Hub retried alone: denied again; e-mail not repeated)"
	case rc.Attempt == o.denied:
		return "  (Security Hub retried alone: imported; e-mail not repeated)"
	}
	return ""
}

func pendingIn(rc localrun.Recheck) bool {
	for _, raw := range rc.Verdicts {
		var v verify.Verdict
		if json.Unmarshal(raw, &v) == nil && v.Status == verify.StatusPending {
			return true
		}
	}
	return false
}

// hubOutcome is what the outage sample's deliveries came to.
type hubOutcome struct {
	sample      string
	denied      int           // imports denied
	emails      int           // notifications carrying findings
	atOnce      bool          // the first of them came from the arrival, not a re-check
	imported    int           // findings Security Hub accepted for the sample's events
	importedOn  int           // the re-check that imported them (0: none known)
	importAfter time.Duration // its time after arrival
	notice      bool          // Security Hub gave up: an operational notice said so
}

// outcome gathers the outage sample's outcome from its result and what
// localaws recorded.
func (o *hubOutage) outcome(results []localrun.Result, imported []localaws.ImportedFinding) (hubOutcome, bool) {
	o.end()
	if !o.started {
		return hubOutcome{}, false
	}
	out := hubOutcome{sample: o.sample, denied: o.denied}
	for _, r := range results {
		if r.Sample != o.sample {
			continue
		}
		fromRecheck := map[string]bool{}
		for _, rc := range r.Rechecks {
			for _, n := range rc.Notifications {
				fromRecheck[n.MessageID] = true
			}
		}
		events := map[string]bool{}
		for _, n := range r.Notifications {
			var v verify.Verdict
			if json.Unmarshal([]byte(n.Message), &v) != nil {
				continue
			}
			events[v.EventID] = true
			if strings.HasPrefix(v.Reason, hubNoticeTag) {
				out.notice = true
			}
			if len(v.Findings) > 0 {
				if out.emails == 0 {
					out.atOnce = !fromRecheck[n.MessageID]
				}
				out.emails++
			}
		}
		for _, f := range imported {
			if f.ErrorCode == "" && events[f.Finding.ProductFields["ebsguard/EventID"]] {
				out.imported++
			}
		}
		if out.imported > 0 {
			for _, rc := range r.Rechecks {
				if rc.Attempt == o.denied {
					out.importedOn, out.importAfter = rc.Attempt, rc.After
				}
			}
		}
	}
	return out, true
}

// writeOutage says in the summary what the outage did, and did not, stop.
func writeOutage(out io.Writer, h hubOutcome) {
	fmt.Fprintf(out, "Security Hub outage (%s): %s denied; ", h.sample, count(h.denied, "import"))
	switch {
	case h.emails == 0:
		fmt.Fprint(out, "NO e-mail was published")
	case h.atOnce && h.emails == 1:
		fmt.Fprint(out, "the outage did not stop the e-mail: published at once, not repeated")
	case h.atOnce:
		fmt.Fprintf(out, "the outage did not stop the e-mail: published at once, then %s more", count(h.emails-1, "message"))
	default:
		fmt.Fprint(out, "the e-mail was published only on a re-check")
	}
	switch {
	case h.notice:
		fmt.Fprintf(out, "; Security Hub still failing after its retries: an operational notice (%s) says so", hubNoticeTag)
	case h.importedOn > 0:
		fmt.Fprintf(out, "; Security Hub retried alone %s through the re-check queue, %s imported on re-check #%d, %s after arrival",
			count(h.importedOn, "time"), count(h.imported, "finding"), h.importedOn, h.importAfter.Round(100*time.Millisecond))
	case h.imported > 0:
		fmt.Fprintf(out, "; Security Hub imported %s", count(h.imported, "finding"))
	default:
		fmt.Fprint(out, "; Security Hub never imported its findings")
	}
	fmt.Fprintln(out, ".")
}
