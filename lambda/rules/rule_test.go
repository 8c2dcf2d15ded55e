package rules

import "testing"

// A rule's meaning for messages comes from its row: every row whose source
// column is "encrypted" alone says so, and no other.
func TestRuleByID(t *testing.T) {
	n := 0
	for _, k := range Kinds() {
		for _, id := range k.RuleIDs() {
			r, ok := RuleByID(id)
			if !ok || r.ID != id || r.Kind.Op != k.Op {
				t.Fatalf("RuleByID(%s) = %+v, %v", id, r, ok)
			}
			for _, row := range k.table {
				if row.id == id && r.EncryptedSource != (row.source == encrypted) {
					t.Errorf("%s: EncryptedSource = %v; row's source %v", id, r.EncryptedSource, row.source)
				}
			}
			if r.EncryptedSource {
				n++
			}
		}
	}
	if n == 0 {
		t.Error("no rule of an encrypted source")
	}
	if _, ok := RuleByID("no/such/rule"); ok {
		t.Error("RuleByID of an unknown ID succeeded")
	}
}
