package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/ebsguard/ebsguard/lambda/findingevents"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

type fakeBus struct {
	entries []ebtypes.PutEventsRequestEntry
	err     error
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.entries = append(f.entries, in.Entries...)
	return &eventbridge.PutEventsOutput{Entries: []ebtypes.PutEventsResultEntry{{EventId: aws.String("ev")}}}, nil
}

// withBus makes the fixture's deployment put events on a bus.
func (f *fixture) withBus() *fakeBus {
	bus := &fakeBus{}
	f.h.publisher = withEvents{Publisher: f.h.publisher, events: findingevents.New(bus, "ebsguard"), log: f.h.log}
	return bus
}

// GIVEN a deployment with a bus WHEN a record is evaluated THEN each
// published verdict is one event, of the detail-type of its status, with
// what the topic got.
func TestFindingEvents(t *testing.T) {
	tests := []struct {
		sample     string
		detailType string
	}{
		{"launch-unencrypted-plain", "EBS Encryption Finding"},
		{"copy-key-mismatch", "EBS Encryption Finding"},
		{"launch-encrypted-owned", ""},
		{"launch-key-without-encrypted", "ebsguard Operational Notice"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			dir := samples + tt.sample
			f := newFixture(t, dir)
			bus := f.withBus()
			if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
				t.Fatal(err)
			}
			published := f.sns.published(t)
			if tt.detailType == "" {
				if len(bus.entries) != 0 || len(published) != 0 {
					t.Fatalf("%d events and %d messages; want none", len(bus.entries), len(published))
				}
				return
			}
			if len(bus.entries) != 1 || len(published) != 1 {
				t.Fatalf("%d events and %d messages; want one of each", len(bus.entries), len(published))
			}
			e := bus.entries[0]
			if aws.ToString(e.Source) != "ebsguard" || aws.ToString(e.DetailType) != tt.detailType || aws.ToString(e.EventBusName) != "ebsguard" {
				t.Errorf("event %s / %s on %s", aws.ToString(e.Source), aws.ToString(e.DetailType), aws.ToString(e.EventBusName))
			}
			var detail verify.Verdict
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail); err != nil {
				t.Fatal(err)
			}
			a, _ := detail.JSON()
			b, _ := published[0].JSON()
			if string(a) != string(b) {
				t.Errorf("event detail\n%s\ndiffers from the topic's verdict\n%s", a, b)
			}
		})
	}
}

// A failed put fails the record, as a failed publish does: it is retried.
func TestFindingEventFailureIsRetried(t *testing.T) {
	dir := samples + "launch-unencrypted-plain"
	f := newFixture(t, dir)
	f.withBus().err = errors.New("bus unavailable")
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err == nil {
		t.Fatal("Handle returned nil when the event could not be put")
	}
}
