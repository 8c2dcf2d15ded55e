package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/noticewindow"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// noReader is an organization where no account has the reader role: every
// client fails as the SDK does when AssumeRole is denied.
type noReader struct{}

func (noReader) err(account string) error {
	// As the SDK's credential provider fails: an STS AssumeRole operation
	// error with the API error AccessDenied, wrapped.
	denied := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: "AccessDenied",
		Message: "not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/ebsguard-reader", Fault: smithy.FaultClient}}
	return fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", denied)
}

func (n noReader) EC2(_ context.Context, account, _ string) (verify.EC2API, error) {
	return nil, n.err(account)
}
func (n noReader) KMS(_ context.Context, account, _ string) (verify.KMSAPI, error) {
	return nil, n.err(account)
}

// windowTable is the one item the aggregator's two updates need, kept in
// memory: the count, first and last, the stored notice and the close.
type windowTable struct {
	item map[string]ddbtypes.AttributeValue
}

func (w *windowTable) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if w.item == nil {
		w.item = map[string]ddbtypes.AttributeValue{}
	}
	vals := in.ExpressionAttributeValues
	expr := aws.ToString(in.UpdateExpression)
	switch {
	case strings.HasPrefix(expr, "ADD"):
		if _, closed := w.item["closedAt"]; closed {
			return nil, &ddbtypes.ConditionalCheckFailedException{}
		}
		n := 0
		if c, ok := w.item["eventCount"].(*ddbtypes.AttributeValueMemberN); ok {
			fmt.Sscan(c.Value, &n)
		}
		w.item["eventCount"] = &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(n + 1)}
		for attr, v := range map[string]string{"firstEventId": ":id", "firstSeen": ":now", "notice": ":notice", "expiresAt": ":exp"} {
			if _, ok := w.item[attr]; !ok {
				w.item[attr] = vals[v]
			}
		}
		w.item["lastEventId"], w.item["lastSeen"] = vals[":id"], vals[":now"]
	case strings.Contains(expr, "#scheduled"):
		w.item["closeScheduledAt"] = vals[":now"]
	case strings.Contains(expr, "SET #closed"):
		if _, closed := w.item["closedAt"]; closed {
			return nil, &ddbtypes.ConditionalCheckFailedException{}
		}
		w.item["closedAt"] = vals[":now"]
	default:
		return nil, fmt.Errorf("unexpected update %s", expr)
	}
	return &dynamodb.UpdateItemOutput{Attributes: w.item}, nil
}

type closeQueue struct{ bodies []string }

func (q *closeQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.bodies = append(q.bodies, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

// GIVEN an account without the reader role WHEN 100 of its events arrive
// within the hour THEN the topic gets nothing until the window's close
// comes back through the re-check queue, and then one notice counting 100;
// the error-verdict metric counts each event.
func TestBurstWithoutReaderRole(t *testing.T) {
	dir := samples + "launch-unencrypted-plain"
	f := newFixture(t, dir)
	f.h.engine = verify.New(verify.Config{Clients: noReader{}, Now: func() time.Time { return f.now }})
	queue := &closeQueue{}
	agg := noticewindow.NewAggregator(f.h.publisher, noticewindow.NewTable(&windowTable{}, "windows", time.Hour), queue, "https://sqs/recheck",
		func() time.Time { return f.now }, f.h.log)
	f.h.publisher = agg
	entry := withWindows{h: f.h, agg: agg, log: f.h.log}

	var record map[string]any
	if err := json.Unmarshal(event(t, dir), &record); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		record["detail"].(map[string]any)["eventID"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		b, _ := json.Marshal(record)
		if _, err := entry.Handle(context.Background(), b); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		f.now = f.now.Add(20 * time.Second)
	}
	if n := len(f.sns.inputs); n != 0 {
		t.Fatalf("%d messages during the window; want none", n)
	}
	if got := strings.Count(f.logs.String(), `"status":"error"`); got < 100 {
		t.Errorf("%d error verdicts logged; want each of the 100 counted", got)
	}
	if len(queue.bodies) != 1 {
		t.Fatalf("%d closes queued; want 1", len(queue.bodies))
	}
	f.now = f.now.Add(time.Hour)
	batch, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "c-1", Body: queue.bodies[0], EventSource: "aws:sqs"}}})
	resp, err := entry.Handle(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("close: %+v, %v", resp, err)
	}
	got := f.sns.published(t)
	if len(got) != 1 {
		t.Fatalf("%d notices after the window; want 1", len(got))
	}
	if w := strings.Join(got[0].Warnings, " "); !strings.Contains(w, "stands for 100 events") ||
		!strings.Contains(w, "first event ID 00000000-0000-4000-8000-000000000000, last event ID 00000000-0000-4000-8000-000000000099") {
		t.Errorf("notice warnings %q", w)
	}
	if attr := aws.ToString(f.sns.inputs[0].MessageAttributes["error"].StringValue); attr != "reader-role" {
		t.Errorf("error attribute %q; want reader-role", attr)
	}
	var structured map[string]string
	json.Unmarshal([]byte(aws.ToString(f.sns.inputs[0].Message)), &structured)
	if !strings.Contains(structured["email"], "stands for 100 events") || !strings.Contains(structured["https"], "stands for 100 events") {
		t.Errorf("the e-mail or the chat message does not say the count:\n%s\n%s", structured["email"], structured["https"])
	}
}

// The bus and the notice windows from the environment.
func TestIntegrationsConfig(t *testing.T) {
	tests := []struct {
		env     map[string]string
		bus     string
		table   string
		window  time.Duration
		wantErr bool
	}{
		{env: map[string]string{}, window: time.Hour},
		{env: map[string]string{"EVENT_BUS_NAME": "ebsguard"}, bus: "ebsguard", window: time.Hour},
		{env: map[string]string{"NOTICE_WINDOW_TABLE": "w", "RECHECK_QUEUE_URL": "https://q"}, table: "w", window: time.Hour},
		{env: map[string]string{"NOTICE_WINDOW_TABLE": "w", "RECHECK_QUEUE_URL": "https://q", "NOTICE_WINDOW": "15m"}, table: "w", window: 15 * time.Minute},
		{env: map[string]string{"NOTICE_WINDOW_TABLE": "w"}, wantErr: true},
		{env: map[string]string{"NOTICE_WINDOW": "30s"}, wantErr: true},
		{env: map[string]string{"NOTICE_WINDOW": "hourly"}, wantErr: true},
	}
	for _, tt := range tests {
		tt.env["TOPIC_ARN"] = "arn:aws:sns:us-east-1:1:t"
		c, err := configFromEnv(func(k string) string { return tt.env[k] })
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: %v; want error %v", tt.env, err, tt.wantErr)
			continue
		}
		if err == nil && (c.EventBus != tt.bus || c.NoticeTable != tt.table || c.NoticeWindow != tt.window) {
			t.Errorf("%v: bus %q, table %q, window %s", tt.env, c.EventBus, c.NoticeTable, c.NoticeWindow)
		}
	}
}

// GIVEN a batch of window closes and less time left in the invocation than
// a close's chain (claim, publish, reopen) WHEN it is handled THEN the first
// close runs and the others come back later as batch item failures, never
// claimed: a close cut off between its claim and its publish would lose the
// window's notice.
func TestClosesLeftForLater(t *testing.T) {
	dir := samples + "launch-unencrypted-plain"
	f := newFixture(t, dir)
	f.h.engine = verify.New(verify.Config{Clients: noReader{}, Now: func() time.Time { return f.now }})
	queue := &closeQueue{}
	table := &windowTable{}
	agg := noticewindow.NewAggregator(f.h.publisher, noticewindow.NewTable(table, "windows", time.Hour), queue, "https://sqs/recheck",
		func() time.Time { return f.now }, f.h.log)
	f.h.publisher = agg
	entry := withWindows{h: f.h, agg: agg, log: f.h.log}
	if _, err := entry.Handle(context.Background(), event(t, dir)); err != nil || len(queue.bodies) != 1 {
		t.Fatalf("event: %v, %d closes queued", err, len(queue.bodies))
	}
	f.now = f.now.Add(time.Hour)
	var records []events.SQSMessage
	for i := range 3 {
		records = append(records, events.SQSMessage{MessageId: fmt.Sprintf("c-%d", i), Body: queue.bodies[0], EventSource: "aws:sqs"})
	}
	batch, _ := json.Marshal(events.SQSEvent{Records: records})
	ctx, cancel := context.WithTimeout(context.Background(), closeChain/2)
	defer cancel()
	resp, err := entry.Handle(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	var later []string
	for _, it := range resp.BatchItemFailures {
		later = append(later, it.ItemIdentifier)
	}
	if strings.Join(later, ",") != "c-1,c-2" {
		t.Errorf("left for later %v; want c-1,c-2", later)
	}
	if n := len(f.sns.inputs); n != 1 {
		t.Errorf("%d notices; want the first close's", n)
	}
}
