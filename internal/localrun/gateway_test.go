package localrun_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
)

// clients are the SDK v2 SNS and SQS clients as the function builds them,
// pointed at the gateway by the standard endpoint variables.
func clients(t *testing.T, s *localrun.SNS) (*sns.Client, *sqs.Client) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_SNS", s.URL)
	t.Setenv("AWS_ENDPOINT_URL_SQS", s.URL)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(localrun.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(localaws.AccessKeyFor(localrun.CentralAccount), "local", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
		}))
	if err != nil {
		t.Fatal(err)
	}
	return sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
}

func startSNS(t *testing.T) *localrun.SNS {
	t.Helper()
	s, err := localrun.StartSNS(localrun.Region, localrun.CentralAccount)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// SDK v2's SQS client speaks JSON; goaws v0.4.5 only Query. Through the
// gateway the real client sends with a delay and attributes (its MD5 checks
// pass), receives, sees the message again with ApproximateReceiveCount 2, and
// deletes; a batch keeps each entry's delay; errors keep SQS's codes.
func TestSQSThroughGateway(t *testing.T) {
	s := startSNS(t)
	_, q := clients(t, s)
	ctx := context.Background()
	url := aws.String(s.RecheckQueueURL)
	receive := func() []sqstypes.Message {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		return out.Messages
	}
	sent := time.Now()
	out, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(`{"attempt":1}`), DelaySeconds: 1,
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("recheck")}}})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if got := receive(); len(got) != 0 {
		t.Fatalf("a message delayed 1s was received at once: %+v", got)
	}
	var got []sqstypes.Message
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		got = receive()
	}
	if len(got) != 1 || aws.ToString(got[0].MessageId) != aws.ToString(out.MessageId) || aws.ToString(got[0].Body) != `{"attempt":1}` ||
		aws.ToString(got[0].MessageAttributes["kind"].StringValue) != "recheck" {
		t.Fatalf("received %+v", got)
	}
	if ms, _ := strconv.ParseInt(got[0].Attributes["SentTimestamp"], 10, 64); ms < sent.UnixMilli()-1000 || ms > sent.Add(500*time.Millisecond).UnixMilli() {
		t.Errorf("SentTimestamp %s is not when the message was sent (%d)", got[0].Attributes["SentTimestamp"], sent.UnixMilli())
	}
	if n := got[0].Attributes["ApproximateReceiveCount"]; n != "1" {
		t.Errorf("first receive count %s", n)
	}
	if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility: %v", err)
	}
	again := receive()
	if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("received again %+v", again)
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if n, err := s.Gateway.Depth(s.RecheckQueueURL); err != nil || n != 0 {
		t.Fatalf("queue depth %d, %v after the delete", n, err)
	}

	batch, err := q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("now")}, {Id: aws.String("b"), MessageBody: aws.String("later"), DelaySeconds: 900}}})
	if err != nil || len(batch.Successful) != 2 {
		t.Fatalf("SendMessageBatch: %+v, %v", batch, err)
	}
	if got := receive(); len(got) != 1 || aws.ToString(got[0].Body) != "now" {
		t.Fatalf("after a batch with one entry delayed 15 minutes: %+v", got)
	}

	for name, call := range map[string]func() error{
		"delay over 15 minutes": func() error {
			_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("x"), DelaySeconds: 901})
			return err
		},
		"no such queue": func() error {
			_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.URL + "/1/nope"), MessageBody: aws.String("x")})
			return err
		},
	} {
		want := map[string]string{"delay over 15 minutes": "InvalidParameterValue", "no such queue": "AWS.SimpleQueueService.NonExistentQueue"}[name]
		if err := call(); apiCode(err) != want {
			t.Errorf("%s: %v; want %s", name, err, want)
		}
	}
}

// Faults injected at the gateway reach the function's SDK clients as SNS and
// SQS answer them: SNS's Throttled (HTTP 429, which the SDK does not retry),
// SQS's RequestThrottled (retried), server errors (retried, then returned),
// a closed connection (retried), for the next N calls only.
func TestGatewayFaults(t *testing.T) {
	s := startSNS(t)
	n, q := clients(t, s)
	ctx := context.Background()
	publish := func() error {
		_, err := n.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicARN), Message: aws.String(`{"eventID":"e"}`)})
		return err
	}
	send := func() error {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.RecheckQueueURL), MessageBody: aws.String(`{}`)})
		return err
	}
	tests := []struct {
		name      string
		fault     localaws.Fault
		call      func() error
		action    string
		wantCode  string // "" : succeeds
		wantCalls int
	}{
		{"SNS throttled", localaws.Fault{API: "Publish", Kind: "throttle", Count: 1}, publish, "Publish", "Throttled", 1},
		{"SNS 5xx, retried", localaws.Fault{API: "sns", Kind: "5xx", Count: 2}, publish, "Publish", "", 3},
		{"SNS 5xx beyond retries", localaws.Fault{API: "Publish", Kind: "5xx", Count: 3}, publish, "Publish", "InternalError", 3},
		{"SNS unavailable once", localaws.Fault{API: "Publish", Kind: "unavailable", Count: 1}, publish, "Publish", "", 2},
		{"SQS throttled twice", localaws.Fault{API: "SendMessage", Kind: "throttle", Count: 2}, send, "SendMessage", "", 3},
		{"SQS 5xx beyond retries", localaws.Fault{API: "sqs", Kind: "5xx", Count: 3}, send, "SendMessage", "InternalError", 3},
		{"SQS slow", localaws.Fault{API: "SendMessage", Kind: "slow", Count: 1, Delay: 10 * time.Millisecond}, send, "SendMessage", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Gateway.Counts()[tc.action]
			s.Gateway.Inject(tc.fault)
			err := tc.call()
			if apiCode(err) != tc.wantCode || (tc.wantCode == "" && err != nil) {
				t.Fatalf("error %v; want %q", err, tc.wantCode)
			}
			if got := s.Gateway.Counts()[tc.action] - before; got != tc.wantCalls {
				t.Errorf("%d calls reached the gateway; want %d", got, tc.wantCalls)
			}
		})
	}
	// Faults are used up: the next calls go through.
	if err := publish(); err != nil {
		t.Errorf("Publish after the faults: %v", err)
	}
	if err := send(); err != nil {
		t.Errorf("SendMessage after the faults: %v", err)
	}
	notes, err := s.Receive()
	if err != nil || len(notes) == 0 || !strings.Contains(notes[0].Message, "eventID") {
		t.Errorf("the security team's queue got %+v, %v", notes, err)
	}
}
