package rules

import (
	"errors"
	"fmt"
)

// ErrRequestRejected is returned for a documented row whose outcome is that
// EC2 rejects the request (e.g. a kmsKeyId without encrypted=true).
var ErrRequestRejected = errors.New("rules: request would be rejected by EC2")

// ErrNoNewResult is returned for a row whose call creates nothing to check
// (rootreplace/volume: the root is swapped for an existing volume).
var ErrNoNewResult = errors.New("rules: the call creates no new volume or snapshot")

// Decision is the table row that applies to one input.
type Decision struct {
	RuleID  string
	Outcome Outcome
}

// Decide finds the one row of the kind's table that matches the input. An
// operation without a registered kind is an error, never another kind's table.
func Decide(in Input) (Decision, error) {
	k, ok := KindOf(in.Op)
	if !ok {
		return Decision{}, fmt.Errorf("rules: no decision table for %s", in.Op)
	}
	var found []row
	for _, r := range k.table {
		if r.match(in) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return Decision{}, fmt.Errorf("rules: %d rows of the %s table match %+v", len(found), in.Op, in)
	}
	return Decision{RuleID: found[0].id, Outcome: found[0].then}, nil
}
