package main

import (
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// audit's usage names the calls it evaluates, every kind of the registry.
func TestAuditUsageNamesEveryKind(t *testing.T) {
	for _, name := range rules.EventNames() {
		if !strings.Contains(auditUsage, name) {
			t.Errorf("audit's usage does not name %s:\n%s", name, auditUsage)
		}
	}
	if strings.Contains(auditUsage, "{calls}") {
		t.Errorf("audit's usage keeps its placeholder:\n%s", auditUsage)
	}
}
