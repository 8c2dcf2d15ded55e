package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const samples = "../../events/samples/"

// fakeSNS records every PublishInput.
type fakeSNS struct {
	inputs []*sns.PublishInput
	err    error
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

// published returns the verdicts the topic received.
func (f *fakeSNS) published(t *testing.T) []verify.Verdict {
	t.Helper()
	var out []verify.Verdict
	for _, in := range f.inputs {
		var structured map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
			t.Fatal(err)
		}
		var v verify.Verdict
		if err := json.Unmarshal([]byte(structured["default"]), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// fakeQueue records every re-check sent.
type fakeQueue struct {
	sent   []recheck.Message
	delays []time.Duration
	err    error
}

func (q *fakeQueue) Send(_ context.Context, m recheck.Message, d time.Duration) error {
	if q.err != nil {
		return q.err
	}
	q.sent, q.delays = append(q.sent, m), append(q.delays, d)
	return nil
}

// fixture is a handler over a world, with a fake topic, queue and clock.
type fixture struct {
	h     *Handler
	w     *world.World
	sns   *fakeSNS
	queue *fakeQueue
	logs  bytes.Buffer
	now   time.Time
	slept []time.Duration
}

func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pol verify.Policy
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		if pol, err = verify.LoadPolicy(filepath.Join(dir, "policy.json")); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{w: w, sns: &fakeSNS{}, queue: &fakeQueue{}, now: time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)}
	f.h = &Handler{
		engine:    verify.New(verify.Config{Clients: w, Policy: pol, Now: func() time.Time { return f.now }}),
		publisher: notify.New(f.sns, "arn:aws:sns:us-east-1:111111111111:ebsguard"),
		queue:     f.queue,
		schedule:  recheck.DefaultSchedule,
		log:       slog.New(slog.NewJSONHandler(&f.logs, nil)),
		now:       func() time.Time { return f.now },
		sleep: func(_ context.Context, d time.Duration) error {
			f.slept = append(f.slept, d)
			return nil
		},
	}
	return f
}

func event(t *testing.T, dir string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqsOf wraps re-check messages as the event source mapping delivers them.
func sqsOf(t *testing.T, ms ...recheck.Message) json.RawMessage {
	t.Helper()
	var ev events.SQSEvent
	for i, m := range ms {
		if m.Account == "" {
			// The samples' account, as the function writes it; tests of a
			// message without one build the body themselves.
			m.Account = "222222222222"
		}
		body, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "msg-" + itoa(i), Body: body, EventSource: "aws:sqs"})
	}
	b, _ := json.Marshal(ev)
	return b
}

// TestSamples sends every sample's EventBridge event through Handle. A
// violation publishes exactly one message whose body is want.json's verdict;
// a permanent error is published once, as an operational notice; a result
// not visible yet is queued for a re-check a minute later; anything else
// publishes and queues nothing.
func TestSamples(t *testing.T) {
	events, _ := filepath.Glob(samples + "*/event.json")
	if len(events) == 0 {
		t.Fatal("no samples")
	}
	for _, ev := range events {
		dir := filepath.Dir(ev)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "want.json"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(bytes.TrimSpace(want), []byte("\n")) > 0 {
				t.Skip("a sample of several records (a log file) is replay's, not an EventBridge event")
			}
			var wantVerdict verify.Verdict
			if err := json.Unmarshal(want, &wantVerdict); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, dir)
			if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !strings.Contains(f.logs.String(), `"status":"`+wantVerdict.Status+`"`) {
				t.Errorf("log lacks the verdict's status %q:\n%s", wantVerdict.Status, f.logs.String())
			}
			wantQueued := 0
			switch wantVerdict.Status {
			case verify.StatusViolation, verify.StatusError:
				if len(f.sns.inputs) != 1 {
					t.Fatalf("published %d messages for a %s verdict; want 1", len(f.sns.inputs), wantVerdict.Status)
				}
				in := f.sns.inputs[0]
				var structured map[string]string
				if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
					t.Fatal(err)
				}
				body, keys := splitDedupeKeys(t, structured["default"])
				if got := body + "\n"; got != string(want) {
					t.Errorf("message body\n%s\nwant\n%s", got, want)
				}
				if len(keys) != len(wantVerdict.Findings) {
					t.Errorf("%d dedupeKeys for %d findings", len(keys), len(wantVerdict.Findings))
				}
				if got := aws.ToString(in.MessageAttributes["status"].StringValue); got != wantVerdict.Status {
					t.Errorf("status attribute = %q; want %q", got, wantVerdict.Status)
				}
			case verify.StatusPending:
				wantQueued = 1
				fallthrough
			default:
				if len(f.sns.inputs) != 0 {
					t.Fatalf("published %d messages for a %s verdict", len(f.sns.inputs), wantVerdict.Status)
				}
			}
			if wantVerdict.Status == verify.StatusViolation && len(wantVerdict.Pending()) > 0 {
				wantQueued = 1
			}
			if len(f.queue.sent) != wantQueued {
				t.Fatalf("queued %d re-checks for a %s verdict; want %d", len(f.queue.sent), wantVerdict.Status, wantQueued)
			}
			if wantQueued == 1 {
				if m, d := f.queue.sent[0], f.queue.delays[0]; m.Attempt != 1 || !m.FirstSeen.Equal(f.now) || d != time.Minute {
					t.Errorf("re-check %+v after %s; want attempt 1, first seen now, after 1m", m, d)
				}
			}
		})
	}
}

// A copy still pending when its event arrives is queued; the re-check finds
// it landed on the account's default key and publishes the finding once; a
// later delivery of the same re-check publishes nothing more.
func TestPendingCopyReportedOnRecheck(t *testing.T) {
	dir := samples + "copy-pending"
	f := newFixture(t, dir)
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	if len(f.queue.sent) != 1 || len(f.sns.inputs) != 0 {
		t.Fatalf("first look: %d queued, %d published; want 1 queued, none published", len(f.queue.sent), len(f.sns.inputs))
	}
	// The copy completes onto aws/ebs.
	region := f.w.Accounts["222222222222"]["us-east-1"]
	for i := range region.Images {
		if aws.ToString(region.Images[i].ImageId) == "ami-0d1100000000000f1" {
			region.Images[i].State = ec2types.ImageStateAvailable
			region.Images[i].BlockDeviceMappings = []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0e9900000000000f1"), Encrypted: aws.Bool(true)}}}
		}
	}
	awsManaged := ""
	for _, k := range region.Keys {
		if len(k.Aliases) > 0 && k.Aliases[0] == "alias/aws/ebs" {
			awsManaged = aws.ToString(k.Arn)
		}
	}
	region.Snapshots = append(region.Snapshots, ec2types.Snapshot{SnapshotId: aws.String("snap-0e9900000000000f1"), OwnerId: aws.String("222222222222"),
		Encrypted: aws.Bool(true), KmsKeyId: aws.String(awsManaged), State: ec2types.SnapshotStateCompleted})
	f.now = f.now.Add(time.Minute)
	m := f.queue.sent[0]
	resp, err := f.h.Handle(context.Background(), sqsOf(t, m))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("re-check: %v, failures %v", err, resp.BatchItemFailures)
	}
	got := f.sns.published(t)
	if len(got) != 1 || got[0].Status != verify.StatusViolation || len(got[0].Findings) != 1 || got[0].Findings[0].Code != "DEFAULT_KEY_FALLBACK" {
		t.Fatalf("re-check published %+v; want one DEFAULT_KEY_FALLBACK", got)
	}
	if len(f.queue.sent) != 1 {
		t.Errorf("a judged copy was queued again")
	}
	// The same finding, already published, is not sent twice.
	m.Published = []recheck.Finding{{Resource: "snap-0e9900000000000f1", Code: "DEFAULT_KEY_FALLBACK"}}
	if _, err := f.h.Handle(context.Background(), sqsOf(t, m)); err != nil {
		t.Fatal(err)
	}
	if len(f.sns.inputs) != 1 {
		t.Errorf("a finding already published was published again (%d messages)", len(f.sns.inputs))
	}
}

// Past the deadline a result still not visible is an error verdict
// still-pending:<how long>, published as an operational notice, and not
// queued again.
func TestRecheckDeadline(t *testing.T) {
	dir := samples + "copy-pending"
	f := newFixture(t, dir)
	raw := event(t, dir)
	f.now = f.now.Add(50 * time.Hour)
	m := recheck.Message{Record: raw, Attempt: 200, FirstSeen: f.now.Add(-49*time.Hour - 30*time.Minute)}
	if _, err := f.h.Handle(context.Background(), sqsOf(t, m)); err != nil {
		t.Fatal(err)
	}
	got := f.sns.published(t)
	if len(got) != 1 || got[0].Status != verify.StatusError || got[0].Reason != "still-pending:49h30m" {
		t.Fatalf("published %+v; want one error still-pending:49h30m", got)
	}
	if len(f.queue.sent) != 0 {
		t.Errorf("queued again past the deadline")
	}
	if attr := aws.ToString(f.sns.inputs[0].MessageAttributes["status"].StringValue); attr != "error" {
		t.Errorf("status attribute %q; want error", attr)
	}
}

// The backoff: about 1, 2, 5 and 10 minutes, then 15 minutes each time.
func TestRecheckBackoff(t *testing.T) {
	dir := samples + "copy-pending"
	f := newFixture(t, dir)
	want := []time.Duration{2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for i, d := range want {
		m := recheck.Message{Record: event(t, dir), Attempt: i + 1, FirstSeen: f.now}
		if _, err := f.h.Handle(context.Background(), sqsOf(t, m)); err != nil {
			t.Fatal(err)
		}
		if n := len(f.queue.sent); n != i+1 || f.queue.sent[n-1].Attempt != i+2 || f.queue.delays[n-1] != d {
			t.Fatalf("after re-check %d: queued %+v with delays %v; want attempt %d after %s", i+1, f.queue.sent, f.queue.delays, i+2, d)
		}
	}
}

// A launch's volumes show a moment after the call: the handler looks again
// in the same invocation before it queues a re-check.
func TestLaunchRetriedInProcess(t *testing.T) {
	dir := samples + "launch-pending"
	f := newFixture(t, dir)
	if _, err := f.h.Handle(context.Background(), event(t, dir)); err != nil {
		t.Fatal(err)
	}
	if len(f.slept) != len(soonDelays) || len(f.queue.sent) != 1 {
		t.Errorf("slept %v and queued %d; want %d short waits, then one re-check", f.slept, len(f.queue.sent), len(soonDelays))
	}
}

func TestPublishFailureIsRetried(t *testing.T) {
	for _, name := range []string{"launch-encrypted-shared", "launch-key-without-encrypted"} {
		f := newFixture(t, samples+name)
		f.sns.err = errors.New("throttled")
		if _, err := f.h.Handle(context.Background(), event(t, samples+name)); err == nil {
			t.Errorf("%s: Handle returned nil after a failed publish; the invocation would not be retried", name)
		}
	}
}

// A re-check that cannot be queued fails the invocation, so that Lambda
// retries it, then dead-letters it: never lost silently.
func TestQueueFailureIsRetried(t *testing.T) {
	f := newFixture(t, samples+"copy-pending")
	f.queue.err = errors.New("queue unavailable")
	if _, err := f.h.Handle(context.Background(), event(t, samples+"copy-pending")); err == nil {
		t.Fatal("Handle returned nil when the re-check could not be queued")
	}
	// Through the event source mapping: the message is reported as failed.
	m := recheck.Message{Record: event(t, samples+"copy-pending"), Attempt: 1, FirstSeen: f.now}
	resp, err := f.h.Handle(context.Background(), sqsOf(t, m))
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-0" {
		t.Errorf("Handle = %+v, %v; want msg-0 reported as a batch item failure", resp, err)
	}
}

// A malformed record is not retried: it is an error verdict, published as an
// operational notice.
func TestMalformedIsNotRetried(t *testing.T) {
	f := newFixture(t, samples+"launch-encrypted-shared")
	_, err := f.h.Handle(context.Background(), json.RawMessage(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CopyImage","awsRegion":"eu-west-1","recipientAccountId":"1"}}`))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !strings.Contains(f.logs.String(), `"status":"error"`) || !strings.Contains(f.logs.String(), "invalid account ID") {
		t.Errorf("malformed record not reported:\n%s", f.logs.String())
	}
	if got := f.sns.published(t); len(got) != 1 || got[0].Status != verify.StatusError {
		t.Errorf("published %+v; want one operational notice", got)
	}
}

// A CloudTrail log file has "Records" too; only SQS records are re-checks.
func TestSQSEventDetection(t *testing.T) {
	for in, want := range map[string]bool{
		`{"Records":[{"messageId":"1","eventSource":"aws:sqs","body":"{}"}]}`:                         true,
		`{"Records":[{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com"}]}`:                false,
		`{"Records":[{"messageId":"1","eventSource":"aws:sqs"},{"eventSource":"ec2.amazonaws.com"}]}`: false,
		`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"aws:sqs"}}`:            false,
	} {
		if _, got := sqsEvent(json.RawMessage(in)); got != want {
			t.Errorf("sqsEvent(%s) = %v; want %v", in, got, want)
		}
	}
}

// Each log line carries its metrics in CloudWatch Embedded Metric Format.
func TestMetricsInLogLines(t *testing.T) {
	f := newFixture(t, samples+"launch-encrypted-shared")
	if _, err := f.h.Handle(context.Background(), event(t, samples+"launch-encrypted-shared")); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		meta, ok := m["_aws"].(map[string]any)
		if !ok {
			continue
		}
		for _, d := range meta["CloudWatchMetrics"].([]any) {
			dir := d.(map[string]any)
			if dir["Namespace"] != "ebsguard" {
				t.Errorf("namespace %v", dir["Namespace"])
			}
			for _, dims := range dir["Dimensions"].([]any) {
				for _, dim := range dims.([]any) {
					if _, ok := m[dim.(string)]; !ok {
						t.Errorf("dimension %v is not a key of the line %s", dim, line)
					}
				}
			}
			for _, mt := range dir["Metrics"].([]any) {
				name := mt.(map[string]any)["Name"].(string)
				if _, ok := m[name].(float64); !ok {
					t.Errorf("metric %s has no numeric value in %s", name, line)
				}
				found[name] = true
			}
		}
	}
	for _, name := range []string{"Verdicts", "AWSCalls", "Findings"} {
		if !found[name] {
			t.Errorf("no %s metric in the logs:\n%s", name, f.logs.String())
		}
	}
}

// A verdict too large for one log line is logged in parts, each under the
// limit, that together hold every resource.
func TestHugeVerdictLoggedInParts(t *testing.T) {
	v := verify.Verdict{EventID: "e-1", Status: verify.StatusCompliant}
	for i := range 3000 {
		v.Resources = append(v.Resources, verify.Resource{Resource: "vol-" + itoa(i), Parent: "i-" + itoa(i), Device: "/dev/xvda",
			Rule: "launch/encrypted/owned", IntendedKeyARN: strings.Repeat("k", 60), Findings: []string{}})
	}
	var logs bytes.Buffer
	logVerdict(slog.New(slog.NewJSONHandler(&logs, nil)), v, time.Now())
	resources := 0
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, line := range lines {
		if len(line) > 256<<10 {
			t.Errorf("a log line of %d bytes", len(line))
		}
		var m struct{ Verdict verify.Verdict }
		json.Unmarshal([]byte(line), &m)
		resources += len(m.Verdict.Resources)
	}
	if len(lines) < 2 || resources != len(v.Resources) {
		t.Errorf("%d lines carry %d resources; want several lines carrying all %d", len(lines), resources, len(v.Resources))
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "EBSGUARD_POLICY": `{"requireEncryption":false}`, "CACHE_TTL": "1m", "LOG_LEVEL": "DEBUG",
		"RECHECK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q", "RECHECK_BACKOFF": "1s,2s", "RECHECK_DEADLINE": "1h"}
	c, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Policy.RequireEncryption == nil || *c.Policy.RequireEncryption || c.CacheTTL.Minutes() != 1 || c.LogLevel != slog.LevelDebug ||
		c.RecheckQueueURL != env["RECHECK_QUEUE_URL"] || c.Schedule.Delay(1) != time.Second || c.Schedule.Delay(5) != 2*time.Second || c.Schedule.Deadline != time.Hour {
		t.Errorf("configFromEnv = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{
		{},
		{"TOPIC_ARN": "t", "EBSGUARD_POLICY": `{"requireEncryption":"yes"}`},
		{"TOPIC_ARN": "t", "EBSGUARD_POLICY": `{"allowedKeys":[{"key":"nope/x"}]}`},
		{"TOPIC_ARN": "t", "CACHE_TTL": "soon"},
		{"TOPIC_ARN": "t", "RECHECK_BACKOFF": "1m,16m"},
		{"TOPIC_ARN": "t", "RECHECK_DEADLINE": "-1h"},
		{"TOPIC_ARN": "t", "RECHECK_DEADLINE": "400h"},
		{"TOPIC_ARN": "t", "SECURITY_HUB": "maybe"},
	} {
		if _, err := configFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("configFromEnv(%v): no error", bad)
		}
	}
}

// splitDedupeKeys separates the dedupeKeys the topic's message appends to
// the verdict JSON.
func splitDedupeKeys(t *testing.T, body string) (string, []string) {
	t.Helper()
	i := strings.LastIndex(body, `,"dedupeKeys":`)
	if i < 0 {
		return body, nil
	}
	var keys []string
	if err := json.Unmarshal([]byte(strings.TrimSuffix(body[i+len(`,"dedupeKeys":`):], "}")), &keys); err != nil {
		t.Fatal(err)
	}
	return body[:i] + "}", keys
}
