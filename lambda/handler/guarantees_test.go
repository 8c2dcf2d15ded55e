package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// attach adds a volume of an instance of the launch-pending sample, on the
// account's AWS managed key (a DEFAULT_KEY_FALLBACK finding).
func attach(f *fixture, instance, volume string) {
	region := f.w.Accounts["222222222222"]["us-east-1"]
	region.Volumes = append(region.Volumes, ec2types.Volume{
		VolumeId: aws.String(volume), Encrypted: aws.Bool(true), SnapshotId: aws.String("snap-0a22000000000000b"),
		KmsKeyId: aws.String("arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1"),
		State:    ec2types.VolumeStateInUse,
		Attachments: []ec2types.VolumeAttachment{{InstanceId: aws.String(instance), Device: aws.String("/dev/xvda"),
			VolumeId: aws.String(volume), State: ec2types.VolumeAttachmentStateAttached}},
	})
}

// drain delivers every queued re-check when its delay is due, until the
// queue is empty or steps run out; it returns the re-checks delivered.
func drain(t *testing.T, f *fixture, steps int) int {
	t.Helper()
	n := 0
	for ; n < len(f.queue.sent); n++ {
		if n >= steps {
			t.Fatalf("still re-checking after %d steps (at %s)", steps, f.now)
		}
		f.now = f.now.Add(f.queue.delays[n])
		resp, err := f.h.Handle(context.Background(), sqsOf(t, f.queue.sent[n]))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("re-check %d: %v, %v", n+1, err, resp)
		}
	}
	return n
}

// Break 1: a violation whose other result never appears publishes its
// finding at once and, at the deadline, one notice naming the instance never
// seen; it is not re-checked past the deadline.
func TestViolationWithResultNeverSeenEndsAtDeadline(t *testing.T) {
	dir := samples + "launch-pending"
	f := newFixture(t, dir)
	attach(f, "i-0b1100000000000a1", "vol-0b1100000000000a1")
	start := f.now
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	n := drain(t, f, 400)
	if end := start.Add(recheck.DefaultSchedule.Deadline + 15*time.Minute); f.now.After(end) {
		t.Errorf("last re-check at %s; want by %s (deadline plus one backoff)", f.now, end)
	}
	if most := int(recheck.DefaultSchedule.Deadline/(15*time.Minute)) + len(recheck.DefaultSchedule.Backoff) + 1; n > most {
		t.Errorf("%d re-checks; at most %d fit in the deadline", n, most)
	}
	got := f.sns.published(t)
	if len(got) != 2 || got[0].Status != verify.StatusViolation || len(got[0].Findings) != 2 {
		t.Fatalf("published %d messages; want the violation (two findings of one volume), then a notice", len(got))
	}
	notice := got[1]
	if notice.Status != verify.StatusError || !strings.HasPrefix(notice.Reason, "still-pending:49h") ||
		len(notice.Resources) != 1 || notice.Resources[0].Parent != "i-0b1100000000000a2" {
		t.Errorf("notice %+v; want still-pending:49h naming i-0b1100000000000a2", notice)
	}
}

// Break 6: a duplicate EventBridge delivery publishes nothing twice, and a
// retry that sees more results publishes only the new findings; each
// finding carries its own dedupeKey.
func TestDuplicateDeliveryPublishesEachFindingOnce(t *testing.T) {
	dir := samples + "launch-pending"
	f := newFixture(t, dir)
	f.h.ledger = delivery.NewMemory(deliveryLease, func() time.Time { return f.now })
	attach(f, "i-0b1100000000000a1", "vol-0b1100000000000a1")
	for range 2 {
		if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
			t.Fatal(err)
		}
	}
	attach(f, "i-0b1100000000000a2", "vol-0b1100000000000a2")
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	drain(t, f, 50)
	seen := map[string]int{}
	keys := map[string]bool{}
	for _, in := range f.sns.inputs {
		var structured map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
			t.Fatal(err)
		}
		body, ks := splitDedupeKeys(t, structured["default"])
		var v verify.Verdict
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if len(ks) != len(v.Findings) {
			t.Errorf("%d dedupeKeys for %d findings", len(ks), len(v.Findings))
		}
		for _, fd := range v.Findings {
			seen[fd.Resource+" "+fd.Code]++
		}
		for _, k := range ks {
			keys[k] = true
		}
	}
	if len(seen) != 4 || len(keys) != 4 {
		t.Fatalf("findings %v, keys %v; want four findings (two per volume), four keys", seen, keys)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s published %d times", k, n)
		}
	}
}

const deliveryLease = 5 * time.Minute

// Break 2: Security Hub failing (disabled, or a finding rejected) does not
// stop the topic: the violation is published once, Security Hub alone is
// retried a few times through the queue, then one notice says so.
func TestSecurityHubOutageDoesNotStopTopic(t *testing.T) {
	dir := samples + "launch-encrypted-shared"
	f := newFixture(t, dir)
	f.h.hub = &hub{importer: securityhub.NewImporter(&fakeHubAPI{err: errors.New("InvalidAccessException: Account is not subscribed to AWS Security Hub")}, securityhub.WithAttempts(1)),
		sts: &fakeCaller{}, region: "us-east-1", now: func() time.Time { return f.now }}
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	n := drain(t, f, 20)
	got := f.sns.published(t)
	if len(got) != 2 || got[0].Status != verify.StatusViolation || got[1].Status != verify.StatusError ||
		!strings.HasPrefix(got[1].Reason, "security-hub-import-failed:") {
		t.Fatalf("published %+v; want the violation once, then one Security Hub notice", got)
	}
	if n != recheck.MaxHubRetries() {
		t.Errorf("%d Security Hub retries; want %d", n, recheck.MaxHubRetries())
	}
	if !strings.Contains(f.logs.String(), `"SecurityHubFailures":1`) {
		t.Errorf("no SecurityHubFailures metric in the log")
	}
}

// Break 8: a re-check message the function did not write is not evaluated
// and not dropped silently: one notice, one metric, no re-check, no retry.
func TestUntrustedRecheckMessages(t *testing.T) {
	dir := samples + "copy-pending"
	ok := func(f *fixture) recheck.Message {
		return recheck.Message{Record: event(t, dir), Attempt: 1, FirstSeen: f.now.Add(-time.Minute), Account: "222222222222"}
	}
	encode := func(t *testing.T, m recheck.Message) string {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var bare json.RawMessage
	{
		var ev struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(event(t, dir), &ev); err != nil {
			t.Fatal(err)
		}
		bare = ev.Detail
	}
	for _, tc := range []struct {
		name string
		body func(f *fixture) string
		why  string
	}{
		{"malformed body", func(*fixture) string { return "{" }, "re-check message"},
		{"no record", func(*fixture) string { return `{"attempt":1,"firstSeen":"2026-11-20T10:05:00Z"}` }, "no record"},
		{"attempt zero", func(f *fixture) string { m := ok(f); m.Attempt = 0; return encode(t, m) }, "no record, attempt"},
		{"attempt MaxInt", func(f *fixture) string { m := ok(f); m.Attempt = math.MaxInt; return encode(t, m) }, "attempt"},
		{"firstSeen in the future", func(f *fixture) string { m := ok(f); m.FirstSeen = f.now.Add(24 * time.Hour); return encode(t, m) }, "in the future"},
		{"firstSeen before the event", func(f *fixture) string { m := ok(f); m.FirstSeen = f.now.Add(-72 * time.Hour); return encode(t, m) }, "before the event"},
		{"bare record without account", func(f *fixture) string { m := ok(f); m.Record, m.Account = bare, ""; return encode(t, m) }, "no envelope account"},
		{"account contradicts envelope", func(f *fixture) string { m := ok(f); m.Account = "333333333333"; return encode(t, m) }, "differs from the envelope"},
		{"bare record, other account", func(f *fixture) string { m := ok(f); m.Record, m.Account = bare, "333333333333"; return encode(t, m) }, "recipientAccountId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, dir)
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "msg-x", Body: tc.body(f), EventSource: "aws:sqs"}}}
			payload, _ := json.Marshal(ev)
			resp, err := f.h.Handle(context.Background(), payload)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("Handle = %v, %v; want no retry", resp, err)
			}
			got := f.sns.published(t)
			if len(got) != 1 || got[0].Status != verify.StatusError || !strings.Contains(got[0].Reason, tc.why) {
				t.Fatalf("published %+v; want one notice saying %q", got, tc.why)
			}
			if len(f.queue.sent) != 0 {
				t.Errorf("queued %d re-checks", len(f.queue.sent))
			}
			if tc.why != "recipientAccountId" && !strings.Contains(f.logs.String(), `"RecheckRejected":1`) {
				t.Errorf("no RecheckRejected metric")
			}
		})
	}
}

// Break 8: with the delivery table, a published list in a message cannot
// suppress a finding.
func TestPublishedListCannotSuppress(t *testing.T) {
	dir := samples + "launch-pending"
	f := newFixture(t, dir)
	f.h.ledger = delivery.NewMemory(deliveryLease, func() time.Time { return f.now })
	attach(f, "i-0b1100000000000a1", "vol-0b1100000000000a1")
	attach(f, "i-0b1100000000000a2", "vol-0b1100000000000a2")
	m := recheck.Message{Record: event(t, dir), Attempt: 1, FirstSeen: f.now, Account: "222222222222",
		Published: []recheck.Finding{{Resource: "vol-0b1100000000000a1", Code: "DEFAULT_KEY_FALLBACK"}}}
	if _, err := f.h.Handle(context.Background(), sqsOf(t, m)); err != nil {
		t.Fatal(err)
	}
	if got := f.sns.published(t); len(got) != 1 || len(got[0].Findings) != 4 {
		t.Fatalf("published %d messages; want one with all four findings", len(got))
	}
}

// Break 5: a re-check message that cannot fit in SQS is a notice naming the
// resources not checked, not a retry loop that re-publishes.
func TestRecheckTooLargeIsNotice(t *testing.T) {
	dir := samples + "copy-pending"
	f := newFixture(t, dir)
	f.queue.err = recheck.ErrTooLarge
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatalf("Handle: %v; want no retry", err)
	}
	got := f.sns.published(t)
	if len(got) != 1 || !strings.HasPrefix(got[0].Reason, "re-check-too-large") || len(got[0].Resources) == 0 {
		t.Fatalf("published %+v; want one re-check-too-large notice naming the resources", got)
	}
}
