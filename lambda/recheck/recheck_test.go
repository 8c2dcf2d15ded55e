package recheck_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/lambda/recheck"
)

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for i, d := range want {
		if got := recheck.DefaultSchedule.Delay(i + 1); got != d {
			t.Errorf("Delay(%d) = %s; want %s", i+1, got, d)
		}
	}
	if recheck.DefaultSchedule.Deadline != 49*time.Hour {
		t.Errorf("default deadline %s; want 49h (CopyImage's 48-hour completion window plus a margin)", recheck.DefaultSchedule.Deadline)
	}
	first := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	if recheck.DefaultSchedule.Expired(first, first.Add(48*time.Hour)) || !recheck.DefaultSchedule.Expired(first, first.Add(49*time.Hour)) {
		t.Error("Expired does not turn at 49h")
	}
}

func TestParseSchedule(t *testing.T) {
	s, err := recheck.ParseSchedule("1s, 2s,5s", "10m")
	if err != nil || s.Delay(1) != time.Second || s.Delay(3) != 5*time.Second || s.Delay(9) != 5*time.Second || s.Deadline != 10*time.Minute {
		t.Errorf("ParseSchedule = %+v, %v", s, err)
	}
	for _, bad := range [][2]string{{"soon", ""}, {"16m", ""}, {"-1s", ""}, {"", "0s"}, {"", "tomorrow"}} {
		if _, err := recheck.ParseSchedule(bad[0], bad[1]); err == nil {
			t.Errorf("ParseSchedule(%q, %q): no error", bad[0], bad[1])
		}
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		49 * time.Hour: "49h", 49*time.Hour + 30*time.Minute: "49h30m", 15 * time.Minute: "15m", 45 * time.Second: "45s", 90 * time.Second: "2m",
	} {
		if got := recheck.Age(d); got != want {
			t.Errorf("Age(%s) = %q; want %q", d, got, want)
		}
	}
}

// A message round-trips; a record too large for SQS travels compressed.
func TestMessageRoundTrip(t *testing.T) {
	first := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	small := json.RawMessage(`{"eventName":"CopyImage"}`)
	big := json.RawMessage(`{"eventName":"RunInstances","pad":"` + strings.Repeat("i-0123456789abcdef0,", 20000) + `"}`)
	for _, rec := range []json.RawMessage{small, big} {
		m := recheck.Message{Record: rec, Attempt: 3, FirstSeen: first, Published: []string{"snap-1/DEFAULT_KEY_FALLBACK"}}
		body, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > 256<<10 {
			t.Errorf("body of %d bytes exceeds SQS's limit", len(body))
		}
		got, err := recheck.Parse(body)
		if err != nil || string(got.Record) != string(rec) || got.Attempt != 3 || !got.FirstSeen.Equal(first) || len(got.Published) != 1 {
			t.Errorf("round trip of a %d-byte record: %+v, %v", len(rec), got.Attempt, err)
		}
	}
	for _, bad := range []string{`nope`, `{"attempt":1}`, `{"record":{},"attempt":0,"firstSeen":"2026-11-20T10:00:00Z"}`, `{"recordGzip":"!!","attempt":1,"firstSeen":"2026-11-20T10:00:00Z"}`} {
		if _, err := recheck.Parse(bad); err == nil {
			t.Errorf("Parse(%s): no error", bad)
		}
	}
}

type fakeSQS struct{ in *sqs.SendMessageInput }

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.in = in
	return &sqs.SendMessageOutput{}, nil
}

func TestQueueSend(t *testing.T) {
	f := &fakeSQS{}
	q := recheck.NewQueue(f, "https://sqs.us-east-1.amazonaws.com/111111111111/recheck")
	m := recheck.Message{Record: json.RawMessage(`{}`), Attempt: 2, FirstSeen: time.Now()}
	if err := q.Send(context.Background(), m, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(f.in.QueueUrl) != "https://sqs.us-east-1.amazonaws.com/111111111111/recheck" || f.in.DelaySeconds != 120 {
		t.Errorf("SendMessage(%+v); want the queue URL and a 120 s delay", f.in)
	}
	if got, err := recheck.Parse(aws.ToString(f.in.MessageBody)); err != nil || got.Attempt != 2 {
		t.Errorf("body %s: %v", aws.ToString(f.in.MessageBody), err)
	}
}
