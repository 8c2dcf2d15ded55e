package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

type output interface {
	verdict(verify.Verdict) error
	// close ends the output; text prints the summary.
	close(*tally) error
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

func (o *jsonOutput) close(*tally) error { return nil }

// textOutput prints a table with fixed-width columns (streamed: nothing is
// held back), each finding under its event, and the summary at the end.
// Every field is escaped (lambda/printable): a record's principal, event ID
// or device name could otherwise forge lines or reorder what is read.
type textOutput struct {
	w       io.Writer
	started bool
}

const textRow = "%-10s %-*s %-21s %-13s %-15s %-36s  %s\n"

// eventWidth is the EVENT column's width: the longest event name the
// registry evaluates, so that a new kind never pushes a row out of line.
var eventWidth = func() int {
	n := len("EVENT")
	for _, e := range rules.EventNames() {
		n = max(n, len(e))
	}
	return n
}()

func (o *textOutput) verdict(v verify.Verdict) error {
	if !o.started {
		o.started = true
		if _, err := fmt.Fprintf(o.w, textRow, "STATUS", eventWidth, "EVENT", "TIME", "ACCOUNT", "REGION", "EVENT ID", "DETAIL"); err != nil {
			return err
		}
	}
	p := printable.String
	detail := p(v.Reason)
	if v.Status != verify.StatusSkipped && v.Status != verify.StatusError {
		var res []string
		for _, r := range v.Resources {
			id := p(r.Resource)
			if id == "" {
				id = "(not visible yet)"
			}
			where := strings.TrimSpace(p(r.Parent) + " " + p(r.Device))
			if r.Parent == r.Resource {
				where = "" // a call that creates one resource: it is its own parent
			}
			res = append(res, strings.TrimSpace(where+" "+id))
		}
		detail = strings.Join(res, "; ")
	}
	if _, err := fmt.Fprintf(o.w, textRow, p(v.Status), eventWidth, p(v.EventName), p(v.EventTime), p(v.Account), p(v.Region), p(v.EventID), detail); err != nil {
		return err
	}
	if v.Principal != "" && v.Status == verify.StatusViolation {
		if _, err := fmt.Fprintf(o.w, "    by %s\n", p(v.Principal)); err != nil {
			return err
		}
	}
	for _, f := range v.Findings {
		if _, err := fmt.Fprintf(o.w, "    %-6s %s %s: %s\n", p(f.Severity), p(f.Code), p(f.Resource), p(f.Text())); err != nil {
			return err
		}
	}
	return nil
}

func (o *textOutput) close(t *tally) error {
	if o.started {
		if _, err := fmt.Fprintln(o.w); err != nil {
			return err
		}
	}
	return t.write(o.w)
}
