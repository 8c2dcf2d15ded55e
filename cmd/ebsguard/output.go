package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

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

// textOutput prints a table, the findings under their event, and a summary.
type textOutput struct {
	w        io.Writer
	tw       *tabwriter.Writer
	statuses map[string]int
	findings map[string]int
	n        int
}

func (o *textOutput) verdict(v verify.Verdict) error {
	if o.tw == nil {
		o.tw = tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
		o.statuses, o.findings = map[string]int{}, map[string]int{}
		fmt.Fprintln(o.tw, "STATUS\tEVENT\tTIME\tACCOUNT\tREGION\tEVENT ID\tDETAIL")
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
	fmt.Fprintf(o.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Status, v.EventName, v.EventTime, v.Account, v.Region, v.EventID, detail)
	for _, f := range v.Findings {
		o.findings[f.Code]++
		fmt.Fprintf(o.tw, "\t  %s %s\t%s\n", f.Severity, f.Code, f.Message)
	}
	return nil
}

func (o *textOutput) close() error {
	if o.tw == nil {
		_, err := fmt.Fprintln(o.w, "no records")
		return err
	}
	if err := o.tw.Flush(); err != nil {
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
		fmt.Fprintf(o.w, "  %-22s %d\n", c, o.findings[c])
	}
	return nil
}
