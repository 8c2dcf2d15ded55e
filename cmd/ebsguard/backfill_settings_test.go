package main

import (
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/backfill"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// GIVEN a launch read before the settings change that preceded it (objects
// are read in any order) WHEN backfill passes the picked records on THEN the
// change is in the history before the first record is handed over, and the
// records keep the order they were read in.
func TestBackfillSettingsFirst(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:222222222222:key/c0de0000-0000-4000-8000-000000000001"
	launch := `{"eventVersion":"1.08","eventID":"e-launch","eventTime":"2026-03-02T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":{},"responseElements":{}}`
	modify := `{"eventVersion":"1.08","eventID":"e-modify","eventTime":"2026-03-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"ModifyEbsDefaultKmsKeyId","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":{"kmsKeyId":"` + key + `"},"responseElements":{"kmsKeyId":"` + key + `"}}`
	in := make(chan backfill.Picked, 2)
	for _, rec := range []string{launch, modify} {
		items := ct.DecodeAll([]byte(rec))
		if len(items) != 1 || items[0].Record == nil {
			t.Fatalf("decode %s: %+v", rec, items)
		}
		in <- backfill.Picked{Item: items[0], Object: "s3://trail/x.json.gz"}
	}
	close(in)
	h := verify.NewSettingsHistory()
	out := settingsFirst(in, h)
	first := <-out
	if string(first.Item.Record.EventID) != "e-launch" {
		t.Fatalf("first record %s; want the order read (e-launch first)", first.Item.Record.EventID)
	}
	if h.Len() != 1 {
		t.Fatalf("%d settings changes known when the first record was handed over; want 1", h.Len())
	}
	if def, _ := h.DEFAt("222222222222", "us-east-1", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)); def != key {
		t.Errorf("default key at the launch %q; want %q", def, key)
	}
	if second := <-out; string(second.Item.Record.EventID) != "e-modify" {
		t.Errorf("second record %s; want e-modify", second.Item.Record.EventID)
	}
	if _, open := <-out; open {
		t.Error("more records than were read")
	}
}
