package verify

import (
	"reflect"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// kind is one event kind's part of the engine, kept in one file per kind
// (kind_<event>.go) beside its decision table in lambda/rules: it reads the
// CloudTrail record's request and response, finds the sources and the results
// of the call, and says how to fix a result.
type kind interface {
	// targets returns one target per resulting volume or snapshot. An error
	// means the record as a whole cannot be evaluated; a result that cannot be
	// read is a target with err set.
	targets(s *session, r *cloudtrail.Record) ([]target, error)
	// fix is the command that makes one result right, with key to use.
	fix(t target, key string) string
	// quick reports whether the call's results show within seconds (a volume
	// is listed a moment after the call), so that a pending verdict is worth
	// retrying in the same invocation before it is queued for a re-check.
	quick() bool
}

// kinds implements every kind of the rules' registry, each registered by
// its own file (engineFor); a test holds the two to each other, so a kind
// without an engine cannot ship.
var kinds = map[rules.Op]kind{}

// engineFor registers the engine of a kind of the rules' registry, and the
// types it decodes a record's requestParameters (P) and responseElements (R)
// into (recordShapes).
func engineFor[P, R any](op rules.Op, k kind) bool {
	kinds[op] = k
	recordShapes[op] = [2]reflect.Type{reflect.TypeFor[P](), reflect.TypeFor[R]()}
	return true
}
