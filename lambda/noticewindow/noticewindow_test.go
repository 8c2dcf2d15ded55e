package noticewindow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

type fakeQueue struct {
	sent []*sqs.SendMessageInput
	err  error
}

func (q *fakeQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if q.err != nil {
		return nil, q.err
	}
	q.sent = append(q.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprint("q-", len(q.sent)))}, nil
}

// take removes and returns the queued messages.
func (q *fakeQueue) take() []*sqs.SendMessageInput {
	out := q.sent
	q.sent = nil
	return out
}

type fakeTopic struct {
	got []verify.Verdict
	err error
}

func (p *fakeTopic) Publish(_ context.Context, v verify.Verdict) (string, error) {
	if p.err != nil {
		return "", p.err
	}
	p.got = append(p.got, v)
	return fmt.Sprint("m-", len(p.got)), nil
}

// readerRole is the notice of event i whose reader role is missing.
func readerRole(i int, account string) verify.Verdict {
	return verify.Verdict{EventID: fmt.Sprintf("e-%03d", i), EventName: "RunInstances", Account: account, Region: "eu-west-1", Status: verify.StatusError,
		Reason: "describe image ami-1 in eu-west-1: operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: r-" + fmt.Sprint(i) +
			", api error AccessDenied: not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/ebsguard-reader",
		ErrorClass: verify.ClassReaderRole}
}

type rig struct {
	db    *fakeDB
	queue *fakeQueue
	topic *fakeTopic
	agg   *noticewindow.Aggregator
	now   time.Time
	logs  bytes.Buffer
}

func newRig() *rig {
	r := &rig{db: newFakeDB(), queue: &fakeQueue{}, topic: &fakeTopic{}, now: time.Date(2026, 11, 20, 10, 0, 7, 0, time.UTC)}
	table := noticewindow.NewTable(r.db, "ebsguard-windows", time.Hour)
	r.agg = noticewindow.NewAggregator(r.topic, table, r.queue, "https://sqs/recheck", func() time.Time { return r.now }, slog.New(slog.NewJSONHandler(&r.logs, nil)))
	return r
}

// deliver hands every queued close whose delay has passed to the
// aggregator, as the re-check queue's mapping would, until none is due
// before until; the clock moves to each delivery.
func (r *rig) deliver(t *testing.T, until time.Time) {
	t.Helper()
	type pending struct {
		at   time.Time
		body string
	}
	var queue []pending
	for {
		for _, m := range r.queue.take() {
			if !noticewindow.IsClose(aws.ToString(m.MessageBody)) {
				t.Fatalf("queued a message that is not a close: %s", aws.ToString(m.MessageBody))
			}
			if m.DelaySeconds < 0 || m.DelaySeconds > 900 {
				t.Fatalf("delay %d s outside SQS's 0..900", m.DelaySeconds)
			}
			queue = append(queue, pending{r.now.Add(time.Duration(m.DelaySeconds) * time.Second), aws.ToString(m.MessageBody)})
		}
		if len(queue) == 0 || queue[0].at.After(until) {
			return
		}
		next := queue[0]
		queue = queue[1:]
		r.now = next.at
		if err := r.agg.HandleClose(context.Background(), next.body); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
}

// GIVEN 100 events of one account whose reader role is missing, within an
// hour WHEN the window closes THEN one notice goes out, counting 100, with
// the first and last event IDs; nothing went out before.
func TestBurstOfOneHundred(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	for i := range 100 {
		id, err := r.agg.Publish(ctx, readerRole(i, "222222222222"))
		if err != nil || id != "" {
			t.Fatalf("event %d: Publish = %q, %v; want held", i, id, err)
		}
		r.now = r.now.Add(30 * time.Second)
	}
	if len(r.topic.got) != 0 {
		t.Fatalf("%d notices published during the window", len(r.topic.got))
	}
	if n := len(r.queue.sent); n != 1 {
		t.Fatalf("%d closes scheduled; want 1", n)
	}
	r.deliver(t, r.now.Add(2*time.Hour))
	if len(r.topic.got) != 1 {
		t.Fatalf("%d notices after the window; want 1", len(r.topic.got))
	}
	got := r.topic.got[0]
	want := "This notice stands for 100 events with the same problem in account 222222222222, Region eu-west-1 between 2026-11-20T10:00:07Z and 2026-11-20T10:49:37Z: first event ID e-000, last event ID e-099."
	if got.EventID != "e-000" || got.Status != verify.StatusError || len(got.Warnings) != 1 || !strings.HasPrefix(got.Warnings[0], want) {
		t.Errorf("notice %+v\nwant the first event's, with the warning %q", got, want)
	}
	if !r.now.After(time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("published at %s, before the window's end", r.now)
	}
	// A close delivered again publishes nothing more.
	r.deliver(t, r.now.Add(24*time.Hour))
	if err := r.agg.HandleClose(ctx, `{"noticeWindow":{"account":"222222222222","region":"eu-west-1","class":"reader-role","start":"2026-11-20T10:00:00Z"}}`); err != nil {
		t.Fatal(err)
	}
	if len(r.topic.got) != 1 {
		t.Errorf("a repeated close published again: %d notices", len(r.topic.got))
	}
}

// Windows are per account, Region and class; what is not aggregated goes
// out at once; an event after its window closed goes out alone.
func TestWindowsApart(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	pendingPast := verify.Verdict{EventID: "p-1", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusError, Reason: "still-pending:49h30m", ErrorClass: verify.ClassStillPending}
	violation := verify.Verdict{EventID: "v-1", Status: verify.StatusViolation, Findings: []verify.Finding{{Code: "UNENCRYPTED"}}}
	for _, v := range []verify.Verdict{readerRole(1, "222222222222"), readerRole(2, "333333333333"), readerRole(3, "222222222222"), pendingPast, violation} {
		if _, err := r.agg.Publish(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.topic.got) != 2 || r.topic.got[0].EventID != "p-1" || r.topic.got[1].EventID != "v-1" {
		t.Fatalf("published at once %+v; want the still-pending notice and the violation", r.topic.got)
	}
	r.deliver(t, r.now.Add(2*time.Hour))
	if len(r.topic.got) != 4 {
		t.Fatalf("%d published; want 2 more, one per account", len(r.topic.got))
	}
	byAccount := map[string]verify.Verdict{}
	for _, v := range r.topic.got[2:] {
		byAccount[v.Account] = v
	}
	if v := byAccount["222222222222"]; len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "stands for 2 events") {
		t.Errorf("222222222222: %+v; want a count of 2", v)
	}
	if v := byAccount["333333333333"]; len(v.Warnings) != 0 {
		t.Errorf("333333333333: a window of one event is the event's own notice, got %+v", v.Warnings)
	}
}

// A notice that cannot be published is published by the close's retry.
func TestCloseRetried(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	for i := range 3 {
		if _, err := r.agg.Publish(ctx, readerRole(i, "222222222222")); err != nil {
			t.Fatal(err)
		}
	}
	body := aws.ToString(r.queue.take()[0].MessageBody)
	r.now = r.now.Add(time.Hour)
	r.topic.err = errors.New("SNS unavailable")
	if err := r.agg.HandleClose(ctx, body); err == nil {
		t.Fatal("a close whose publish failed reported success; the message would be deleted")
	}
	r.topic.err = nil
	if err := r.agg.HandleClose(ctx, body); err != nil {
		t.Fatal(err)
	}
	if len(r.topic.got) != 1 || !strings.Contains(r.topic.got[0].Warnings[0], "stands for 3 events") {
		t.Errorf("after the retry: %+v", r.topic.got)
	}
}

// A failed schedule fails the event, and its retry schedules the close:
// the window is never left without one.
func TestScheduleRetried(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	r.queue.err = errors.New("queue unavailable")
	if _, err := r.agg.Publish(ctx, readerRole(1, "222222222222")); err == nil {
		t.Fatal("Publish returned nil although the close could not be scheduled")
	}
	r.queue.err = nil
	if _, err := r.agg.Publish(ctx, readerRole(1, "222222222222")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.agg.Publish(ctx, readerRole(2, "222222222222")); err != nil {
		t.Fatal(err)
	}
	if len(r.queue.sent) != 1 {
		t.Fatalf("%d closes scheduled; want 1 (by the retry)", len(r.queue.sent))
	}
	r.deliver(t, r.now.Add(2*time.Hour))
	if len(r.topic.got) != 1 {
		t.Fatalf("%d notices; want 1", len(r.topic.got))
	}
}

// An event whose window was closed already goes out alone.
func TestLateEvent(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	table := noticewindow.NewTable(r.db, "ebsguard-windows", time.Hour)
	k := noticewindow.Key{Account: "222222222222", Region: "eu-west-1", Class: "reader-role"}
	if _, err := table.Note(ctx, k, "e-0", []byte(`{}`), r.now); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := table.Close(ctx, k, r.now.Truncate(time.Hour), r.now); !ok || err != nil {
		t.Fatalf("close: %v %v", ok, err)
	}
	if _, err := table.Note(ctx, k, "e-1", []byte(`{}`), r.now); !errors.Is(err, noticewindow.ErrClosed) {
		t.Fatalf("note after close: %v; want ErrClosed", err)
	}
	if _, err := r.agg.Publish(ctx, readerRole(1, "222222222222")); err != nil {
		t.Fatal(err)
	}
	if len(r.topic.got) != 1 {
		t.Errorf("a late event was held: %d published", len(r.topic.got))
	}
}

func TestTableErrorsCarryContext(t *testing.T) {
	r := newRig()
	r.db.err = errors.New("ProvisionedThroughputExceededException")
	_, err := r.agg.Publish(context.Background(), readerRole(1, "222222222222"))
	if err == nil || !strings.Contains(err.Error(), "ebsguard-windows") || !strings.Contains(err.Error(), "reader-role in 222222222222 eu-west-1") {
		t.Errorf("error %v; want the table, class, account and Region named", err)
	}
}

// GIVEN 100 events each delivered twice (EventBridge and SQS deliver at
// least once; a failed record is retried), the repeat after the next event,
// and a repeat after the window's close WHEN the window closes THEN its one
// notice counts 100 with the first and last event IDs, and the repeat after
// the close publishes nothing (the notice counted it).
func TestRepeatedDeliveriesCountOnce(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	for i := range 100 {
		for _, j := range []int{i, i - 1} {
			if j < 0 {
				continue
			}
			if id, err := r.agg.Publish(ctx, readerRole(j, "222222222222")); err != nil || id != "" {
				t.Fatalf("event %d: Publish = %q, %v; want held", j, id, err)
			}
		}
		r.now = r.now.Add(30 * time.Second)
	}
	r.deliver(t, r.now.Add(2*time.Hour))
	if len(r.topic.got) != 1 {
		t.Fatalf("%d notices; want 1", len(r.topic.got))
	}
	if w := strings.Join(r.topic.got[0].Warnings, " "); !strings.Contains(w, "stands for 100 events") ||
		!strings.Contains(w, "first event ID e-000, last event ID e-099") {
		t.Errorf("notice warnings %q; want 100 events, e-000 to e-099", w)
	}
	r.now = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC) // a repeat that lands in the closed window
	if id, err := r.agg.Publish(ctx, readerRole(42, "222222222222")); err != nil || id != "" || len(r.topic.got) != 1 || len(r.queue.sent) != 0 {
		t.Errorf("repeat after the close: Publish = %q, %v, %d notices, %d closes queued; want nothing", id, err, len(r.topic.got), len(r.queue.sent))
	}
}

// GIVEN a window of more events than its set of counted events holds (the
// set is bounded: each write is paid by the item's size) WHEN they come THEN
// every one is counted, and the set stays bounded.
func TestCountBeyondTheSet(t *testing.T) {
	r := newRig()
	ctx := context.Background()
	for i := range 600 {
		if _, err := r.agg.Publish(ctx, readerRole(i, "222222222222")); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		r.now = r.now.Add(5 * time.Second)
	}
	for _, item := range r.db.items {
		if set, ok := item["countedEvents"].(*types.AttributeValueMemberSS); ok && len(set.Value) > 500 {
			t.Errorf("set of %d counted events; want at most 500", len(set.Value))
		}
	}
	r.deliver(t, r.now.Add(2*time.Hour))
	if len(r.topic.got) != 1 || !strings.Contains(strings.Join(r.topic.got[0].Warnings, " "), "stands for 600 events") {
		t.Errorf("notices %+v; want one counting 600", r.topic.got)
	}
}
