package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// tally is the summary of a run: the verdicts printed by status and
// finding, and the records read, of which those of events out of scope.
type tally struct {
	all        bool // --all: out-of-scope records were printed too
	records    int64
	outOfScope int64
	statuses   map[string]int64
	findings   map[string]int64
}

func newTally(all bool) *tally {
	return &tally{all: all, statuses: map[string]int64{}, findings: map[string]int64{}}
}

func (t *tally) add(v verify.Verdict) {
	t.statuses[v.Status]++
	for _, f := range v.Findings {
		t.findings[f.Code]++
	}
}

// write prints the summary:
//
//	2000 records: 3 compliant, 1 violation, 0 pending, 0 skipped, 0 error; 1996 out of scope, not shown (--all shows them)
//	  DEFAULT_KEY_FALLBACK   1
func (t *tally) write(w io.Writer) error {
	noun := "records"
	if t.records == 1 {
		noun = "record"
	}
	fmt.Fprintf(w, "%d %s:", t.records, noun)
	for i, s := range []string{verify.StatusCompliant, verify.StatusViolation, verify.StatusPending, verify.StatusSkipped, verify.StatusError} {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %d %s", sep, t.statuses[s], s)
	}
	if t.all {
		fmt.Fprintf(w, "; %d of them out of scope\n", t.outOfScope)
	} else {
		fmt.Fprintf(w, "; %d out of scope, not shown (--all shows them)\n", t.outOfScope)
	}
	codes := make([]string, 0, len(t.findings))
	for c := range t.findings {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if _, err := fmt.Fprintf(w, "  %-22s %d\n", c, t.findings[c]); err != nil {
			return err
		}
	}
	return nil
}
