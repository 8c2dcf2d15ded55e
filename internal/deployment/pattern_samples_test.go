package deployment_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
)

// patternMatches applies an EventBridge pattern of exact-value lists, nested
// objects included, as EventBridge does: every field the pattern names must
// hold one of the listed values.
func patternMatches(pattern map[string]any, event map[string]any) bool {
	for k, want := range pattern {
		got := event[k]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !patternMatches(w, sub) {
				return false
			}
		case []any:
			if !slices.Contains(w, got) {
				return false
			}
		}
	}
	return true
}

// TestEventPatternRoutesEverySample holds the EventBridge pattern to the
// samples: every sample event of a kind the guardrail covers (service
// launches through Auto Scaling or EC2 Fleet, StartSnapshot from aws.ebs,
// the settings calls) is routed to the function.
func TestEventPatternRoutesEverySample(t *testing.T) {
	events, _ := filepath.Glob("../../events/samples/*/event.json")
	if len(events) == 0 {
		t.Fatal("no samples found")
	}
	p := deployment.EventPattern()
	for _, path := range events {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, ok := ev["detail"]; !ok {
			continue // a bare record or a log file, not an EventBridge event
		}
		if !patternMatches(p, ev) {
			t.Errorf("%s: the EventBridge pattern %v does not route it", filepath.Base(filepath.Dir(path)), p)
		}
	}
}
