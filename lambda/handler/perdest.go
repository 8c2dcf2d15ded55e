package main

import (
	"context"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// destination is where one publication goes. With a bus, the topic and the
// bus are destinations of their own, each with its own claims in the
// delivery ledger: a failure of either is retried for it alone, and never
// repeats or loses the other's (docs/guarantees.md, Independence).
type destination int

const (
	destAll   destination = iota // the topic, then the bus (no bus, or a window's close)
	destTopic                    // the topic alone
	destBus                      // the bus alone
)

type destinationKey struct{}

// onlyTo restricts the publications under ctx to one destination.
func onlyTo(ctx context.Context, d destination) context.Context {
	return context.WithValue(ctx, destinationKey{}, d)
}

func destinationOf(ctx context.Context) destination {
	d, _ := ctx.Value(destinationKey{}).(destination)
	return d
}

// busCode is the code of a finding's (or notice's) delivery to the bus: the
// ledger's key for the bus is the topic's with this code, so that the two
// are claimed and marked apart.
const busCode = "bus:"

// keyFor is the ledger key of a finding for a destination.
func keyFor(d destination, eventID, resource, code string) delivery.Key {
	if d == destBus {
		code = busCode + code
	}
	return delivery.Key{EventID: eventID, Resource: resource, Code: code}
}

// findingKeysTo are the ledger keys of a verdict's findings for a destination.
func findingKeysTo(d destination, v verify.Verdict) []delivery.Key {
	keys := make([]delivery.Key, len(v.Findings))
	for i, f := range v.Findings {
		keys[i] = keyFor(d, v.EventID, f.Resource, f.Code)
	}
	return keys
}

// noticeKeyTo is the ledger key of a notice for a destination.
func noticeKeyTo(d destination, eventID, dedupe string) delivery.Key {
	if d == destBus {
		dedupe = busCode + dedupe
	}
	return delivery.NoticeKey(eventID, dedupe)
}

// isBusKey tells a bus delivery from a topic one (Security Hub and the
// re-check's published set are the topic's).
func isBusKey(k delivery.Key) bool {
	return strings.HasPrefix(k.Code, busCode) || strings.HasPrefix(k.Code, "notice:"+busCode)
}

func (d destination) String() string {
	switch d {
	case destTopic:
		return "topic"
	case destBus:
		return "bus"
	}
	return "all"
}
