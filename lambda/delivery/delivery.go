// Package delivery makes every finding (and every operational notice) reach
// the topic once: before a publish, the function claims each (eventID,
// resource, code) with a conditional write, and publishes only what the
// claims admit; after the publish it marks the claims published, and after a
// failed publish it releases them, so that a retry claims them again.
//
// A claim is a two-state item. "claimed" holds a lease: a claim whose lease
// ran out (the function crashed between claim and publish, or between
// publish and confirm) may be claimed again, so a finding is never lost; a
// crash in that second window is the one case that publishes a finding
// twice, and the message's dedupeKeys let a subscriber drop the repeat.
// "published" is final until DynamoDB's TTL deletes the item, days after the
// re-check deadline.
//
// Other helpers reuse this package for their own once-only sends (a chat
// message, an aggregated notice): the Ledger interface is the contract, the
// Table its DynamoDB implementation, Memory and Carried the in-process ones.
package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Key names one delivery: a finding (EventID, Resource, Code), or a notice
// (EventID, "", "notice:<kind>").
type Key struct {
	EventID  string `json:"eventID,omitempty"`
	Resource string `json:"resource"`
	Code     string `json:"code"`
}

// NoticeKey is the key of an operational notice of an event.
func NoticeKey(eventID, kind string) Key {
	return Key{EventID: eventID, Code: "notice:" + kind}
}

// Digest is the key's stable hash: 64 lowercase hex characters, the
// dedupeKey a subscriber sees for this finding.
func (k Key) Digest() string {
	return digest("finding", k.EventID, k.Resource, k.Code)
}

// Claim is the answer to a claim of some keys.
type Claim struct {
	// Admitted are the keys this caller must now publish, then Confirm (or
	// Release when the publish failed).
	Admitted []Key
	// Done are the keys published before.
	Done []Key
	// Held are claimed by another caller whose lease has not run out (a
	// duplicate delivery evaluated at the same time): look again later.
	Held []Key
}

// Ledger records what was published. Implementations are safe for
// concurrent use.
type Ledger interface {
	// Claim claims the keys that are neither published nor held.
	Claim(ctx context.Context, keys []Key) (Claim, error)
	// Confirm marks admitted keys published.
	Confirm(ctx context.Context, keys []Key) error
	// Release gives admitted keys up after a failed publish.
	Release(ctx context.Context, keys []Key) error
	// Published returns the keys of an event published so far.
	Published(ctx context.Context, eventID string) ([]Key, error)
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
