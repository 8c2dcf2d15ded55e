package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

type output interface {
	verdict(verify.Verdict) error
	close() error
}

// jsonOutput prints one verdict per line.
type jsonOutput struct{ w io.Writer }

func (o *jsonOutput) verdict(v verify.Verdict) error {
	b, err := v.JSON()
	if err != nil {
		return err
	}
	_, err = o.w.Write(append(b, '\n'))
	return err
}

func (o *jsonOutput) close() error { return nil }

// textOutput prints a table with fixed-width columns (streamed: nothing is
// held back), each finding under its event, and a summary at the end.
type textOutput struct {
	w        io.Writer
	started  bool
	statuses map[string]int
	findings map[string]int
	n        int
}

const textRow = "%-10s %-13s %-21s %-13s %-15s %-36s  %s\n"

func (o *textOutput) verdict(v verify.Verdict) error {
	if !o.started {
		o.started = true
		o.statuses, o.findings = map[string]int{}, map[string]int{}
		if _, err := fmt.Fprintf(o.w, textRow, "STATUS", "EVENT", "TIME", "ACCOUNT", "REGION", "EVENT ID", "DETAIL"); err != nil {
			return err
		}
	}
	o.n++
	o.statuses[v.Status]++
	detail := v.Reason
	if v.Status != verify.StatusSkipped && v.Status != verify.StatusError {
		var res []string
		for _, r := range v.Resources {
			id := r.Resource
			if id == "" {
				id = "(not visible yet)"
			}
			res = append(res, fmt.Sprintf("%s %s %s", r.Parent, r.Device, id))
		}
		detail = strings.Join(res, "; ")
	}
	if _, err := fmt.Fprintf(o.w, textRow, v.Status, v.EventName, v.EventTime, v.Account, v.Region, v.EventID, detail); err != nil {
		return err
	}
	for _, f := range v.Findings {
		o.findings[f.Code]++
		if _, err := fmt.Fprintf(o.w, "    %-6s %s %s: %s\n", f.Severity, f.Code, f.Resource, f.Message); err != nil {
			return err
		}
	}
	return nil
}

func (o *textOutput) close() error {
	if !o.started {
		_, err := fmt.Fprintln(o.w, "no records")
		return err
	}
	fmt.Fprintf(o.w, "\n%d records:", o.n)
	for _, s := range []string{verify.StatusCompliant, verify.StatusViolation, verify.StatusPending, verify.StatusSkipped, verify.StatusError} {
		fmt.Fprintf(o.w, " %d %s", o.statuses[s], s)
	}
	fmt.Fprintln(o.w)
	codes := make([]string, 0, len(o.findings))
	for c := range o.findings {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if _, err := fmt.Fprintf(o.w, "  %-22s %d\n", c, o.findings[c]); err != nil {
			return err
		}
	}
	return nil
}
