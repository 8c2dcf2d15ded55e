package rules

import (
	"errors"
	"fmt"
)

// ErrRequestRejected is returned for a documented row whose outcome is that
// EC2 rejects the request (e.g. a kmsKeyId without encrypted=true).
var ErrRequestRejected = errors.New("rules: request would be rejected by EC2")

// Decision is the table row that applies to one input.
type Decision struct {
	RuleID  string
	Outcome Outcome
}

// Decide finds the one row of the operation's table that matches the input.
func Decide(in Input) (Decision, error) {
	var found []row
	for _, r := range tableFor(in.Op) {
		if r.match(in) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return Decision{}, fmt.Errorf("rules: %d rows of the %s table match %+v", len(found), in.Op, in)
	}
	return Decision{RuleID: found[0].id, Outcome: found[0].then}, nil
}

// RuleIDs lists every rule ID of an operation's table in the spec's order.
func RuleIDs(op Op) []string {
	t := tableFor(op)
	ids := make([]string, len(t))
	for i, r := range t {
		ids[i] = r.id
	}
	return ids
}
