package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/delivery"
)

// GIVEN a deployment with a bus and the delivery ledger WHEN one
// destination fails after the other delivered THEN the record is retried,
// and the retry delivers to the failed destination alone: the bus event is
// put again after a failed put (not lost), the topic message is not
// repeated, and a failed topic publish is not repeated on the bus. Before
// the destinations were claimed apart, the bus event of a put that failed
// after the publish was never put.
func TestDestinationsRetriedAlone(t *testing.T) {
	for _, tt := range []struct {
		sample  string
		failBus bool // else the topic fails
	}{
		{"launch-unencrypted-plain", true},
		{"launch-unencrypted-plain", false},
		{"launch-key-without-encrypted", true}, // an operational notice
		{"launch-key-without-encrypted", false},
	} {
		name := tt.sample + map[bool]string{true: "/bus fails", false: "/topic fails"}[tt.failBus]
		t.Run(name, func(t *testing.T) {
			dir := samples + tt.sample
			f := newFixture(t, dir)
			f.h.ledger = delivery.NewMemory(deliveryLease, func() time.Time { return f.now })
			bus := f.withBus()
			if tt.failBus {
				bus.err = errors.New("bus unavailable")
			} else {
				f.sns.err = errors.New("topic unavailable")
			}
			if _, err := f.h.Handle(context.Background(), event(t, dir)); err == nil {
				t.Fatal("Handle returned nil with a destination down: nothing would retry it")
			}
			if !tt.failBus {
				f.sns.inputs = nil // the fake keeps the failed attempt
			}
			bus.err, f.sns.err = nil, nil
			f.now = f.now.Add(time.Minute)
			if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
				t.Fatalf("retry: %v", err)
			}
			published := f.sns.published(t)
			if len(published) != 1 || len(bus.entries) != 1 {
				t.Fatalf("%d topic messages (of %d attempts), %d bus events; want one of each", len(published), len(f.sns.inputs), len(bus.entries))
			}
			// A third delivery (EventBridge at least once) sends nothing.
			if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
				t.Fatal(err)
			}
			if n := len(f.sns.published(t)); n != 1 || len(bus.entries) != 1 {
				t.Errorf("after a duplicate delivery: %d topic messages, %d bus events; want 1, 1", n, len(bus.entries))
			}
		})
	}
}
