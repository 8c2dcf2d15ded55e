package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/audit"
	"github.com/ebsguard/ebsguard/lambda/trail"
)

// docs/day-one.md names every permission the commands need (the engine's
// reads by a link to the generated permissions.md) and the figures the code
// runs with: a change to either shows here.
func TestDayOneDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/day-one.md")
	if err != nil {
		t.Fatal(err)
	}
	section := strings.Join(strings.Fields(string(b)), " ") // as it reads, lines aside
	words := map[int]string{8: "Eight", 16: "sixteen"}
	want := []string{
		fmt.Sprintf("refilled every %d ms", trail.Interval.Milliseconds()),
		fmt.Sprintf("%d events a page", trail.MaxResults),
		fmt.Sprintf("backoff of %d s, doubling to %d s, at most %d times", int(trail.MinBackoff.Seconds()), int(trail.MaxBackoff.Seconds()), trail.MaxRetries),
		fmt.Sprintf("wait %d s for an answer, %d s in all", int(lookupTimeouts.ResponseHeader.Seconds()), int(lookupTimeouts.Attempt.Seconds())),
		fmt.Sprintf("imported %d at a time", hubBatch),
		words[audit.DefaultParallel] + " accounts and Regions are read at once",
		words[audit.DefaultEvaluators] + " records evaluated at once",
		"[Security Hub findings](securityhub.md)",
		"`organizations:ListAccounts`", "`ec2:DescribeRegions`", "`sts:AssumeRole`", "`securityhub:BatchImportFindings`",
	}
	for _, a := range deployment.AuditActions {
		want = append(want, "`"+a+"`")
	}
	// The engine's reads have one home, generated into permissions.md: a
	// read added to verify.EC2API must not need a hand edit here too.
	want = append(want, "the engine's reads ([permissions.md](permissions.md)")
	for _, a := range deployment.EngineReadActions {
		if strings.Contains(section, "`"+a+"`") {
			t.Errorf("docs/day-one.md names %q by hand: link permissions.md instead, which is generated", a)
		}
	}
	for _, w := range want {
		if !strings.Contains(section, w) {
			t.Errorf("docs/day-one.md lacks %q", w)
		}
	}
}
