package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Budget is what one delivery to one destination (a publish, a put, an
// import, a queued message, a table update) may take: every attempt at its
// timeout, and the waits between attempts. The destination's client is
// configured to stay within it (publishClient), and the call gets a context
// that ends with it (the budgeted wrappers below), so a slow API fails the
// call in time rather than the invocation with "Task timed out".
type Budget struct {
	Attempts int
	Attempt  time.Duration // one attempt, as the HTTP client bounds it
	Backoff  time.Duration // the longest wait between two attempts
}

// Total is the longest the delivery takes.
func (b Budget) Total() time.Duration {
	return time.Duration(b.Attempts)*b.Attempt + time.Duration(max(b.Attempts-1, 0))*b.Backoff
}

// DeliveryBudget is every destination's: deliveries are small writes that
// AWS answers in milliseconds from inside the Region, so an attempt of 2 s
// is twenty times a slow answer, and a second attempt rides out a throttle.
var DeliveryBudget = Budget{Attempts: 2, Attempt: 2 * time.Second, Backoff: 500 * time.Millisecond}

// deliveryTimeouts bound one attempt of a delivery client to the budget's.
var deliveryTimeouts = accounts.Timeouts{Connect: time.Second, TLSHandshake: time.Second, ResponseHeader: 1500 * time.Millisecond, Attempt: DeliveryBudget.Attempt}

// deliveryConfig is the configuration of the destinations' clients: the
// budget's attempts, backoff and per-attempt timeout.
func deliveryConfig(cfg aws.Config) aws.Config {
	c := cfg.Copy()
	c.HTTPClient = accounts.HTTPClient(cfg.HTTPClient, deliveryTimeouts)
	c.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = DeliveryBudget.Attempts
			o.MaxBackoff = DeliveryBudget.Backoff
		})
	}
	return c
}

// reserveFor is the time kept free after an evaluation: the longest chain of
// deliveries one record makes, one budget each, and evalMargin for the rest
// of the invocation's work. The chain is the violation's: the Security Hub
// import, the topic, the bus, and the re-check of what is not visible yet.
// A notice's chain is shorter: the topic and the bus, or the window's three
// writes (the count, the close's message, its mark).
func reserveFor(hub, bus, queue, windows bool) time.Duration {
	n := 1 // the topic
	for _, on := range []bool{hub, bus, queue} {
		if on {
			n++
		}
	}
	if windows {
		n = max(n, 3)
	}
	return time.Duration(n)*DeliveryBudget.Total() + evalMargin
}

// evalReserve is the time an evaluation leaves before the deadline dl: the
// deliveries' reserve, but never more than half of the invocation's time
// left (a function with a short timeout still evaluates; its deliveries
// then have what their budgets' contexts and the deadline leave), nor less
// than evalMargin.
func (h *Handler) evalReserve(dl time.Time) time.Duration {
	if h.reserve <= 0 {
		return evalMargin
	}
	return min(h.reserve, max(time.Until(dl)/2, evalMargin))
}

// within bounds a delivery by its budget.
func within(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, DeliveryBudget.Total())
}

// budgetedPublisher bounds a publish to one destination.
type budgetedPublisher struct{ Publisher }

func (p budgetedPublisher) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	ctx, cancel := within(ctx)
	defer cancel()
	return p.Publisher.Publish(ctx, v)
}

// budgetedPutter bounds a put on the bus.
type budgetedPutter struct{ EventPutter }

func (p budgetedPutter) Put(ctx context.Context, v verify.Verdict) (string, error) {
	ctx, cancel := within(ctx)
	defer cancel()
	return p.EventPutter.Put(ctx, v)
}

// budgetedHub bounds an import into Security Hub.
type budgetedHub struct{ Hub }

func (h budgetedHub) Import(ctx context.Context, v verify.Verdict, published []recheck.Finding) error {
	ctx, cancel := within(ctx)
	defer cancel()
	return h.Hub.Import(ctx, v, published)
}

// budgetedQueue bounds a re-check's send.
type budgetedQueue struct{ Queue }

func (q budgetedQueue) Send(ctx context.Context, m recheck.Message, delay time.Duration) error {
	ctx, cancel := within(ctx)
	defer cancel()
	return q.Queue.Send(ctx, m, delay)
}
