package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Every event the registry evaluates fits the text table's EVENT column:
// the TIME column starts at the same place on every row, the header's too.
func TestTextColumnsAlignForEveryEvent(t *testing.T) {
	var b bytes.Buffer
	out := &textOutput{w: &b}
	const when = "2026-11-20T10:04:11Z"
	for _, name := range append(rules.EventNames(), "SomeEventNotInTheRegistry") {
		if err := out.verdict(verify.Verdict{Status: verify.StatusSkipped, EventName: name, EventTime: when, Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	at := strings.Index(lines[0], "TIME")
	for _, l := range lines[1 : len(lines)-1] {
		if strings.Index(l, when) != at {
			t.Errorf("row out of line with the header (TIME at %d):\n%s\n%s", at, lines[0], l)
		}
	}
}
