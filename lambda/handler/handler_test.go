package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

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

func newHandler(t *testing.T, dir string, pub *fakeSNS, log io.Writer) *Handler {
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
	return &Handler{
		engine:    verify.New(verify.Config{Clients: w, Policy: pol}),
		publisher: notify.New(pub, "arn:aws:sns:us-east-1:111111111111:ebsguard"),
		log:       slog.New(slog.NewJSONHandler(log, nil)),
	}
}

// TestSamples sends every sample's EventBridge event through Handle: a
// violation publishes exactly one message whose body is want.json's verdict;
// anything else publishes nothing.
func TestSamples(t *testing.T) {
	events, _ := filepath.Glob("../../events/samples/*/event.json")
	if len(events) == 0 {
		t.Fatal("no samples")
	}
	for _, ev := range events {
		dir := filepath.Dir(ev)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			payload, err := os.ReadFile(ev)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "want.json"))
			if err != nil {
				t.Fatal(err)
			}
			var wantVerdict verify.Verdict
			if err := json.Unmarshal(want, &wantVerdict); err != nil {
				t.Fatal(err)
			}
			pub := &fakeSNS{}
			var logs bytes.Buffer
			if err := newHandler(t, dir, pub, &logs).Handle(context.Background(), payload); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !strings.Contains(logs.String(), `"status":"`+wantVerdict.Status+`"`) {
				t.Errorf("log lacks the verdict's status %q:\n%s", wantVerdict.Status, logs.String())
			}
			if wantVerdict.Status != verify.StatusViolation {
				if len(pub.inputs) != 0 {
					t.Fatalf("published %d messages for a %s verdict", len(pub.inputs), wantVerdict.Status)
				}
				return
			}
			if len(pub.inputs) != 1 {
				t.Fatalf("published %d messages; want 1", len(pub.inputs))
			}
			in := pub.inputs[0]
			var structured map[string]string
			if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
				t.Fatal(err)
			}
			if got := structured["default"] + "\n"; got != string(want) {
				t.Errorf("message body\n%s\nwant\n%s", got, want)
			}
			if got := aws.ToString(in.MessageAttributes["status"].StringValue); got != "violation" {
				t.Errorf("status attribute = %q", got)
			}
			if got := aws.ToString(in.TopicArn); got != "arn:aws:sns:us-east-1:111111111111:ebsguard" {
				t.Errorf("TopicArn = %q", got)
			}
		})
	}
}

func TestPublishFailureIsRetried(t *testing.T) {
	dir := "../../events/samples/launch-encrypted-shared"
	payload, _ := os.ReadFile(filepath.Join(dir, "event.json"))
	pub := &fakeSNS{err: errors.New("throttled")}
	if err := newHandler(t, dir, pub, io.Discard).Handle(context.Background(), payload); err == nil {
		t.Fatal("Handle returned nil after a failed publish; the invocation would not be retried")
	}
}

func TestMalformedIsNotRetried(t *testing.T) {
	pub := &fakeSNS{}
	var logs bytes.Buffer
	h := newHandler(t, "../../events/samples/launch-encrypted-shared", pub, &logs)
	if err := h.Handle(context.Background(), json.RawMessage(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"CopyImage","awsRegion":"eu-west-1","recipientAccountId":"1"}}`)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !strings.Contains(logs.String(), `"status":"error"`) || !strings.Contains(logs.String(), "invalid account ID") {
		t.Errorf("malformed record not reported:\n%s", logs.String())
	}
	if len(pub.inputs) != 0 {
		t.Errorf("published %d messages for a malformed record", len(pub.inputs))
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "EBSGUARD_POLICY": `{"requireEncryption":false}`, "CACHE_TTL": "1m", "LOG_LEVEL": "DEBUG"}
	c, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Policy.RequireEncryption == nil || *c.Policy.RequireEncryption || c.CacheTTL.Minutes() != 1 || c.LogLevel != slog.LevelDebug {
		t.Errorf("configFromEnv = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{
		{},
		{"TOPIC_ARN": "t", "EBSGUARD_POLICY": `{"requireEncryption":"yes"}`},
		{"TOPIC_ARN": "t", "EBSGUARD_POLICY": `{"allowedKeys":[{"key":"nope/x"}]}`},
		{"TOPIC_ARN": "t", "CACHE_TTL": "soon"},
	} {
		if _, err := configFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("configFromEnv(%v): no error", bad)
		}
	}
}
