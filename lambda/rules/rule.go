package rules

// Rule is what one row of a kind's table means for the messages about a
// result it decided: facts a reader of the finding needs, taken from the
// row's columns rather than from the shape of its ID.
type Rule struct {
	ID   string
	Kind Kind
	// EncryptedSource is set when the row applies only to a result made from
	// an encrypted snapshot: the intended key, when none was requested, is
	// the source's.
	EncryptedSource bool
	// Owned and Shared say whether the row applies only to a source the
	// account owns, or only to one shared with it; neither when it applies
	// to both.
	Owned, Shared bool
}

// RuleByID returns the rule of a row ID of any kind's table.
func RuleByID(id string) (Rule, bool) {
	for _, k := range kinds {
		for _, r := range k.table {
			if r.id == id {
				return Rule{ID: id, Kind: k, EncryptedSource: r.source == encrypted, Owned: r.owned == yes, Shared: r.owned == no}, true
			}
		}
	}
	return Rule{}, false
}
