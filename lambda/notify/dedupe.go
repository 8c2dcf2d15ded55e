package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// findingKey identifies one finding of one event: the same event, resource
// and code give the same key, whichever check raised it. The re-check state
// remembers the keys of published findings so that a later check publishes
// only new ones.
//
// Keys are 64 lowercase hex characters: short whatever the record holds, and
// within what SNS allows for an attribute value and a FIFO deduplication ID.
func findingKey(eventID, resource, code string) string {
	return digest("finding", eventID, resource, code)
}

// DedupeKey identifies the content of a message, so that a subscriber can
// drop a repeat: EventBridge and SQS deliver at least once, so the same
// event can be evaluated, and published, twice. For a violation it is built
// from the event ID and the (resource, code) of every finding, in any order;
// for an operational notice from the event ID and the error's class, so
// that neither the request ID of a failed call nor how long a re-check
// waited (nor any rewording of the reason) changes it.
func DedupeKey(v verify.Verdict) string {
	if v.Status == verify.StatusError {
		return digest("error", v.EventID, string(v.ErrorClass))
	}
	keys := make([]string, 0, len(v.Findings))
	for _, f := range v.Findings {
		keys = append(keys, findingKey(v.EventID, f.Resource, f.Code))
	}
	slices.Sort(keys)
	return digest(append([]string{"findings", v.EventID}, slices.Compact(keys)...)...)
}

// digest hashes its parts, each prefixed with its length so that no two
// different lists of parts hash the same input.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
