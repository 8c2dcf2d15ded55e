package main

import (
	"context"

	"github.com/ebsguard/ebsguard/lambda/audit"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// auditSettings reads the window's settings-change records from the event
// history of every target first (four LookupEvents queries each), so that
// each record of the audit is judged against the settings of its time
// (spec/rules.md, "Settings as they were at the event"); the main pass
// evaluates them too, as records of their own.
func auditSettings(ctx context.Context, env *auditEnv, sel selection, pacer *trail.Pacer) *verify.SettingsHistory {
	h := verify.NewSettingsHistory()
	var names []string
	for _, c := range rules.SettingChanges() {
		names = append(names, c.EventName)
	}
	keep := func(_ context.Context, it ct.Item) verify.Verdict {
		h.AddRecord(it.Record)
		return verify.Verdict{Status: verify.StatusSkipped}
	}
	audit.Run(ctx, audit.Config{Targets: env.targets, Open: env.open, Evaluate: keep, Pacer: pacer,
		Query: trail.Query{EventNames: names, Start: sel.start, End: sel.end}}, nil, func(ct.Item, verify.Verdict) {})
	return h
}
