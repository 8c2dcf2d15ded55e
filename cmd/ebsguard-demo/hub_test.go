package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"

	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

func finding(eventID string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{ProductFields: map[string]string{"ebsguard/EventID": eventID}}
}

// The summary's outage line says what happened to the e-mail and to
// Security Hub, for each way the outage can end.
func TestWriteOutage(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    hubOutcome
		want string
	}{
		{"imported on a re-check", hubOutcome{sample: "s", denied: 2, emails: 1, atOnce: true, imported: 1, importedOn: 2, importAfter: 2049 * time.Millisecond},
			"Security Hub outage (s): 2 imports denied; the outage did not stop the e-mail: published at once, not repeated; " +
				"Security Hub retried alone 2 times through the re-check queue, 1 finding imported on re-check #2, 2s after arrival.\n"},
		{"still failing: a notice", hubOutcome{sample: "s", denied: 6, emails: 1, atOnce: true, notice: true},
			"Security Hub outage (s): 6 imports denied; the outage did not stop the e-mail: published at once, not repeated; " +
				"Security Hub still failing after its retries: an operational notice (security-hub-import-failed) says so.\n"},
		{"e-mail repeated", hubOutcome{sample: "s", denied: 1, emails: 2, atOnce: true, imported: 1},
			"Security Hub outage (s): 1 import denied; the outage did not stop the e-mail: published at once, then 1 message more; Security Hub imported 1 finding.\n"},
		{"no e-mail", hubOutcome{sample: "s", denied: 1},
			"Security Hub outage (s): 1 import denied; NO e-mail was published; Security Hub never imported its findings.\n"},
		{"e-mail late", hubOutcome{sample: "s", denied: 1, emails: 1},
			"Security Hub outage (s): 1 import denied; the e-mail was published only on a re-check; Security Hub never imported its findings.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			writeOutage(&b, tc.h)
			if b.String() != tc.want {
				t.Errorf("got  %q\nwant %q", b.String(), tc.want)
			}
		})
	}
}

// The outage is measured, not assumed: the imports it denied are those
// localaws answered with the fault, and the sample's outcome comes from its
// notifications and the findings localaws accepted for its event.
func TestHubOutageOutcome(t *testing.T) {
	aws := localaws.New(&world.World{}, localrun.CentralAccount)
	o := &hubOutage{sample: "lead", calls: 2}
	o.before(0, localrun.Sample{Name: "other"}, aws, nil)
	if o.started {
		t.Fatal("outage started for another sample")
	}
	o.before(1, localrun.Sample{Name: "lead"}, aws, nil)
	// No import came before the next sample: the outage ends having
	// denied none, and leaves no fault behind.
	o.before(2, localrun.Sample{Name: "next"}, aws, nil)
	if !o.over || o.denied != 0 {
		t.Fatalf("over %v, denied %d; want over, 0 denied", o.over, o.denied)
	}
	if left := aws.ClearFaults(); left != 0 {
		t.Fatalf("%d faults left after the outage", left)
	}
	o.before(3, localrun.Sample{Name: "lead"}, aws, nil)
	if left := aws.ClearFaults(); left != 0 {
		t.Fatalf("the outage started twice: %d faults", left)
	}
	o.denied = 1 // as if the arrival's import had been denied

	verdict := func(id string, codes ...string) string {
		v := verify.Verdict{EventID: id, Status: verify.StatusViolation}
		for _, c := range codes {
			v.Findings = append(v.Findings, verify.Finding{Code: c, Resource: "vol-1"})
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	res := []localrun.Result{{
		Sample:        "lead",
		Notifications: []localrun.Notification{{MessageID: "m1", Message: verdict("e1", "DEFAULT_KEY_FALLBACK")}},
		Rechecks:      []localrun.Recheck{{Attempt: 1, After: time.Second}},
	}}
	imported := []localaws.ImportedFinding{
		{Finding: finding("e1")}, {Finding: finding("e1"), ErrorCode: "InvalidInput"}, {Finding: finding("e2")},
	}
	got, ok := o.outcome(res, imported)
	want := hubOutcome{sample: "lead", denied: 1, emails: 1, atOnce: true, imported: 1, importedOn: 1, importAfter: time.Second}
	if !ok || got != want {
		t.Errorf("outcome %+v, %v; want %+v", got, ok, want)
	}
	if note := o.recheckNote(res[0].Rechecks[0]); !strings.Contains(note, "imported; e-mail not repeated") {
		t.Errorf("re-check #1 note %q", note)
	}
}
