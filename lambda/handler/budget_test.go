package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// slowDestinations take most of the time their context leaves them, then
// succeed: each delivery runs to the edge of its budget. They record when
// each call ended and the deadline it was given.
type slowDestinations struct {
	mu    sync.Mutex
	ends  map[string]time.Time
	given map[string]time.Duration // the time the deadline left at the start
}

func (s *slowDestinations) wait(ctx context.Context, name string) error {
	dl, ok := ctx.Deadline()
	if !ok {
		return errors.New(name + ": a delivery without a deadline")
	}
	given := time.Until(dl)
	time.Sleep(time.Duration(float64(given) * 0.9))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ends[name], s.given[name] = time.Now(), given
	return nil
}

func (s *slowDestinations) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{MessageId: aws.String("m")}, s.wait(ctx, "topic")
}

func (s *slowDestinations) Put(ctx context.Context, _ verify.Verdict) (string, error) {
	return "ev", s.wait(ctx, "bus")
}

func (s *slowDestinations) Import(ctx context.Context, _ verify.Verdict, _ []recheck.Finding) error {
	return s.wait(ctx, "security hub")
}

func (s *slowDestinations) Send(ctx context.Context, _ recheck.Message, _ time.Duration) error {
	return s.wait(ctx, "re-check queue")
}

// slowAPI is the slow-API fault during evaluation: every account's client
// waits until the evaluation's context ends.
type slowAPI struct{ started chan time.Time }

func (s slowAPI) EC2(ctx context.Context, _, _ string) (verify.EC2API, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s slowAPI) KMS(ctx context.Context, _, _ string) (verify.KMSAPI, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// scaled shrinks the delivery budget for a test, so that the invariants are
// checked in a second rather than a minute.
func scaled(t *testing.T) {
	t.Helper()
	saved := DeliveryBudget
	DeliveryBudget = Budget{Attempts: 2, Attempt: 60 * time.Millisecond, Backoff: 20 * time.Millisecond}
	t.Cleanup(func() { DeliveryBudget = saved })
}

// GIVEN every destination on (Security Hub, the topic, the bus, the re-check
// queue) and each as slow as its budget lets it be WHEN a violation with a
// result not visible yet is delivered THEN every delivery ends before the
// invocation's deadline, each within its own budget.
func TestDeliveriesFitTheDeadline(t *testing.T) {
	scaled(t)
	dir := samples + "launch-unencrypted-plain"
	f := newFixture(t, dir)
	slow := &slowDestinations{ends: map[string]time.Time{}, given: map[string]time.Duration{}}
	f.h.publisher = withEvents{Publisher: budgetedPublisher{notify.New(slow, "arn:aws:sns:us-east-1:111111111111:ebsguard")},
		events: budgetedPutter{slow}, log: f.h.log}
	f.h.hub, f.h.queue = budgetedHub{slow}, budgetedQueue{slow}
	f.h.sleep = func(context.Context, time.Duration) error { return errors.New("no soon waits in this test") }
	f.h.reserve = reserveFor(true, true, true, false) - evalMargin + 50*time.Millisecond

	raw := event(t, dir)
	deadline := time.Now().Add(f.h.reserve + 300*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if _, err := f.h.Handle(ctx, raw); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if time.Now().After(deadline) {
		t.Fatalf("Handle returned %s after the deadline", time.Since(deadline))
	}
	if len(slow.ends) < 3 {
		t.Fatalf("deliveries %v; want at least the topic, the bus and Security Hub", slow.ends)
	}
	for name, end := range slow.ends {
		if end.After(deadline) {
			t.Errorf("%s delivered %s after the invocation's deadline", name, end.Sub(deadline))
		}
		if given := slow.given[name]; given > DeliveryBudget.Total() || given < DeliveryBudget.Total()/2 {
			t.Errorf("%s was given %s; its budget is %s", name, given, DeliveryBudget.Total())
		}
	}
}

// GIVEN the slow-API fault WHEN a record is evaluated THEN the evaluation
// ends early enough that every delivery's budget is still ahead: the
// function reports a retryable error before its deadline, and delivers
// nothing.
func TestSlowAPILeavesTheDeliveryBudget(t *testing.T) {
	scaled(t)
	dir := samples + "launch-unencrypted-plain"
	f := newFixture(t, dir)
	f.h.engine = verify.New(verify.Config{Clients: slowAPI{}, Now: func() time.Time { return f.now }})
	bus := f.withBus()
	f.h.reserve = reserveFor(false, true, true, false) - evalMargin + 50*time.Millisecond
	deadline := time.Now().Add(f.h.reserve + 200*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := f.h.Handle(ctx, event(t, dir))
	left := time.Until(deadline)
	if err == nil {
		t.Fatal("Handle returned nil for an evaluation cut short; the event would not be retried")
	}
	// The margin absorbs scheduling on a loaded machine; an evaluation that
	// ignored the reserve would run to the deadline itself.
	if left < f.h.reserve-150*time.Millisecond {
		t.Errorf("the evaluation left %s before the deadline; the deliveries' budget is %s", left, f.h.reserve)
	}
	if len(f.sns.inputs)+len(bus.entries) != 0 {
		t.Errorf("delivered a verdict cut short by the deadline")
	}
}

// The reserve covers the longest chain of deliveries of each configuration.
func TestReserve(t *testing.T) {
	b := DeliveryBudget.Total()
	tests := []struct {
		hub, bus, queue, windows bool
		want                     time.Duration
	}{
		{false, false, false, false, b},
		{false, false, true, false, 2 * b},
		{false, true, true, false, 3 * b},
		{true, true, true, false, 4 * b},
		{false, false, false, true, 3 * b},
		{true, true, true, true, 4 * b},
	}
	for _, tt := range tests {
		if got := reserveFor(tt.hub, tt.bus, tt.queue, tt.windows) - evalMargin; got != tt.want {
			t.Errorf("reserveFor(%v, %v, %v, %v) = %s + margin; want %s", tt.hub, tt.bus, tt.queue, tt.windows, got, tt.want)
		}
	}
	if total := reserveFor(true, true, true, true); total > 30*time.Second {
		t.Errorf("deliveries reserve %s of the function's 60 s: too little is left to evaluate", total)
	}
}

// The reserve never takes more than half of what is left, nor less than
// the former margin: a function with a short timeout still evaluates.
func TestEvalReserve(t *testing.T) {
	tests := []struct {
		reserve, left, want time.Duration
	}{
		{0, 60 * time.Second, evalMargin},
		{23 * time.Second, 60 * time.Second, 23 * time.Second},
		{23 * time.Second, 30 * time.Second, 15 * time.Second},
		{23 * time.Second, 6 * time.Second, evalMargin},
	}
	for _, tt := range tests {
		h := &Handler{reserve: tt.reserve}
		got := h.evalReserve(time.Now().Add(tt.left))
		if d := got - tt.want; d > 10*time.Millisecond || d < -10*time.Millisecond {
			t.Errorf("reserve %s, %s left: %s; want %s", tt.reserve, tt.left, got, tt.want)
		}
	}
}

// The destinations' clients keep to the budget: against an endpoint that
// answers after 3 s, a publish makes two attempts of at most 2 s and fails
// within the budget's 4.5 s.
func TestDeliveryClientKeepsTheBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for two attempts to time out")
	}
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
	client := sns.NewFromConfig(deliveryConfig(cfg))
	start := time.Now()
	_, err := client.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111111111111:t"), Message: aws.String("m")})
	took := time.Since(start)
	if err == nil {
		t.Fatal("a publish to an endpoint that answers after 3 s succeeded")
	}
	if n := attempts.Load(); n != int32(DeliveryBudget.Attempts) {
		t.Errorf("%d attempts; want %d", n, DeliveryBudget.Attempts)
	}
	if took > DeliveryBudget.Total()+500*time.Millisecond {
		t.Errorf("the publish took %s; the budget is %s", took, DeliveryBudget.Total())
	}
}
