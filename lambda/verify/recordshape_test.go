package verify

import (
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Every kind says what of a record it reads, so that capture keeps it.
func TestEveryKindHasARecordShape(t *testing.T) {
	for _, k := range rules.Kinds() {
		req, resp, ok := RecordShape(k.EventName)
		if !ok || req == nil || resp == nil {
			t.Errorf("%s has no record shape in recordShapes", k.EventName)
		}
	}
	if _, _, ok := RecordShape("DescribeInstances"); ok {
		t.Error("an event no kind reads has a shape")
	}
}
