package localrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// chatEndpoint stands for the chat service's https subscription: it keeps
// every notification goaws posts.
type chatEndpoint struct {
	mu       sync.Mutex
	messages []string // the published messages (the structure)
}

func (c *chatEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var n struct{ Type, Message string }
	if json.Unmarshal(b, &n) == nil && n.Type == "Notification" {
		c.mu.Lock()
		c.messages = append(c.messages, n.Message)
		c.mu.Unlock()
	}
}

// GIVEN the function with a bus, through the emulator, localaws and goaws
// WHEN a violation and a compliant launch arrive THEN the violation is one
// EventBridge event (source ebsguard, detail-type EBS Encryption Finding,
// the verdict in detail) and one SNS message whose https member is a chat
// notification the documented schema accepts; the compliant one is neither.
func TestFindingEventAndChatEndToEnd(t *testing.T) {
	bootstrap, rie := binaries(t)
	samples, err := localrun.LoadSamples("../../events/samples/launch-unencrypted-plain", "")
	if err != nil {
		t.Fatal(err)
	}
	more, err := localrun.LoadSamples("../../events/samples/launch-encrypted-owned", "")
	if err != nil {
		t.Fatal(err)
	}
	samples = append(samples, more...)
	chat := &chatEndpoint{}
	srv := httptest.NewServer(chat)
	defer srv.Close()
	var fnOut strings.Builder
	results, aws, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples,
		FunctionOutput: &fnOut, Settings: append([]string{"EVENT_BUS_NAME=ebsguard"}, recheckFast...),
		BeforeSample: func(i int, _ localrun.Sample, _ *localaws.Server, sns *localrun.SNS) {
			if i > 0 {
				return
			}
			unsubscribe, err := sns.SubscribeHTTP(srv.URL)
			if err != nil {
				t.Errorf("subscribe the chat endpoint: %v", err)
				return
			}
			t.Cleanup(func() { unsubscribe() })
		}})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, fnOut.String())
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v\n%s", r.Sample, r.Err, fnOut.String())
		}
	}
	put := aws.PutEvents()
	if len(put) != 1 {
		t.Fatalf("%d events put; want 1, for the violation:\n%+v", len(put), put)
	}
	e := put[0]
	if e.Source != "ebsguard" || e.DetailType != "EBS Encryption Finding" || e.Bus != "ebsguard" || e.Account != localrun.CentralAccount {
		t.Errorf("event %+v", e)
	}
	var detail verify.Verdict
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil || detail.Status != verify.StatusViolation || len(detail.Findings) == 0 {
		t.Errorf("detail %s: %v", e.Detail, err)
	}

	chat.mu.Lock()
	defer chat.mu.Unlock()
	if len(chat.messages) != 1 {
		t.Fatalf("%d messages reached the chat endpoint; want 1", len(chat.messages))
	}
	var structure map[string]string
	if err := json.Unmarshal([]byte(chat.messages[0]), &structure); err != nil {
		t.Fatalf("the published message is not the per-protocol structure: %v\n%s", err, chat.messages[0])
	}
	schema, err := jsonschema.Compile("../../lambda/notify/testdata/chat-notification.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal([]byte(structure["https"]), &doc); err != nil {
		t.Fatalf("https member: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("the https member does not validate: %v\n%s", err, structure["https"])
	}
	if !strings.Contains(structure["https"], detail.Findings[0].Code) || !strings.Contains(structure["https"], "ebsguard-"+detail.EventID) {
		t.Errorf("the chat notification lacks the finding code or the event's thread: %s", structure["https"])
	}
}

// GIVEN the function with a 20 s timeout, one EC2 answer that takes 3 s, and
// the topic answering every attempt of the publish after 3 s (the slow-API
// fault on the evaluation and on the delivery) WHEN a violation arrives THEN
// the invocation fails within its budget, as an error Lambda retries, not as
// "Task timed out", and without a verdict cut short: the evaluation had its
// time, the delivery its two bounded attempts.
func TestDeliveryBudgetEndToEnd(t *testing.T) {
	bootstrap, rie := binaries(t)
	samples, err := localrun.LoadSamples("../../events/samples/launch-unencrypted-plain", "")
	if err != nil {
		t.Fatal(err)
	}
	var fnOut strings.Builder
	start := time.Now()
	results, _, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples,
		FunctionOutput: &fnOut, Settings: append([]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=20"}, recheckFast...),
		BeforeSample: func(_ int, _ localrun.Sample, aws *localaws.Server, sns *localrun.SNS) {
			aws.Inject(localaws.Fault{API: "DescribeVolumes", Kind: "slow", Delay: 3 * time.Second})
			sns.Gateway.Inject(localaws.Fault{API: "Publish", Kind: "slow", Delay: 3 * time.Second, Count: 2})
		}})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, fnOut.String())
	}
	if len(results) != 1 {
		t.Fatalf("%d results", len(results))
	}
	r := results[0]
	var fe *localrun.FunctionError
	if !errors.As(r.Err, &fe) {
		t.Fatalf("first invocation: %v; want a function error (the publish could not be made in its budget)\n%s", r.Err, fnOut.String())
	}
	if strings.Contains(strings.ToLower(fe.Type+fe.Message), "timed out") || strings.Contains(fnOut.String(), "Task timed out") {
		t.Errorf("the invocation timed out: %v", fe)
	}
	if !strings.Contains(fe.Message, "Publish") {
		t.Errorf("function error %q; want the publish's", fe.Message)
	}
	if len(r.Verdicts) != 1 || !strings.Contains(string(r.Verdicts[0]), `"status":"violation"`) {
		t.Errorf("verdicts %s; want the whole violation, evaluated before the delivery", r.Verdicts)
	}
	// Two attempts of at most 2 s and a wait, after a 3 s evaluation: far
	// from the 20 s timeout.
	if took > 18*time.Second {
		t.Errorf("the run took %s", took)
	}
}
