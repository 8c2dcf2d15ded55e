package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/audit"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The audit's summary goes where a person reads it, with the tally replay
// prints (by status, by finding) also when the verdicts are JSON, and its
// counts read as English: "1 account", "2 accounts".
func TestAuditEnd(t *testing.T) {
	sel := selection{start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	one := audit.Report{Results: []audit.Result{{Target: audit.Target{Account: "222222222222", Region: "us-east-1"}, Outcome: audit.Done, Calls: 1, Events: 1}}}
	two := audit.Report{Results: append(append([]audit.Result(nil), one.Results...),
		audit.Result{Target: audit.Target{Account: "333333333333", Region: "us-east-1"}, Outcome: audit.Done, Calls: 2})}
	sum := newTally(false)
	sum.selected = true
	sum.records = 1
	sum.add(verify.Verdict{Status: verify.StatusViolation, Findings: []verify.Finding{{Code: "UNENCRYPTED"}}})
	per := map[string]*tally{"222222222222": sum}

	for _, tt := range []struct {
		name               string
		format             string
		terminal           bool
		rep                audit.Report
		wantOut, wantErr   []string
		emptyOut, emptyErr bool
	}{
		{name: "json on a terminal", format: "json", terminal: true, rep: one, emptyOut: true,
			wantErr: []string{"1 record: 0 compliant, 1 violation", "  UNENCRYPTED", "; 1 account, 1 Region read; 1 LookupEvents call\n",
				"  222222222222  1 Region read: 1 record: "}},
		{name: "json into a file", format: "json", terminal: false, rep: one, emptyOut: true, emptyErr: true},
		{name: "text", format: "text", terminal: true, rep: two, emptyErr: true,
			wantOut: []string{"; 2 accounts, 2 Regions read; 3 LookupEvents calls\n", "  333333333333  1 Region read: 0 records: "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			writeAuditEnd(&out, &errOut, tt.format, tt.terminal, sum, tt.rep, per, trail.NewPacer(), sel)
			for _, c := range []struct {
				what  string
				got   string
				want  []string
				empty bool
			}{{"stdout", out.String(), tt.wantOut, tt.emptyOut}, {"stderr", errOut.String(), tt.wantErr, tt.emptyErr}} {
				if c.empty && c.got != "" {
					t.Errorf("%s: %q; want nothing", c.what, c.got)
				}
				for _, w := range c.want {
					if !strings.Contains(c.got, w) {
						t.Errorf("%s lacks %q:\n%s", c.what, w, c.got)
					}
				}
			}
		})
	}
}
