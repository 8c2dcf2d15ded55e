package trail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// Interval is the pace of LookupEvents calls per account and Region: the
// documented two per second, plus a tenth, because CloudTrail counts the
// calls as they arrive, after network delays that vary from call to call.
const Interval = time.Second / PerSecond * 11 / 10

// Backoff after a throttled call: the first retry waits MinBackoff, each
// next twice as long, at most MaxBackoff, for at most MaxRetries retries
// (about a minute and a half in all) before the error is returned. Another
// caller of LookupEvents in the same account and Region (the console's event
// history, another tool) shares the limit, so waiting is worth it.
const (
	MinBackoff = time.Second
	MaxBackoff = 30 * time.Second
	MaxRetries = 6
)

// Pacer is a token bucket per account and Region, holding one token and
// refilled every Interval: every LookupEvents call of that account and
// Region waits for its token. A throttled call empties the bucket for the
// backoff, so every caller of that account and Region waits too.
type Pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time // when the next token is there, per account/Region

	throttled atomic.Int64
}

// PacerOption configures a Pacer.
type PacerOption func(*Pacer)

// WithClock replaces the clock and the sleep (for tests).
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) PacerOption {
	return func(p *Pacer) { p.now, p.sleep = now, sleep }
}

// NewPacer returns a pacer at Interval.
func NewPacer(opts ...PacerOption) *Pacer {
	p := &Pacer{interval: Interval, now: time.Now, sleep: sleep, next: map[string]time.Time{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Throttled is how many calls were throttled so far.
func (p *Pacer) Throttled() int64 { return p.throttled.Load() }

// wait takes the account and Region's token, sleeping until it is there.
func (p *Pacer) wait(ctx context.Context, key string) error {
	p.mu.Lock()
	now := p.now()
	at := p.next[key]
	if at.Before(now) {
		at = now
	}
	p.next[key] = at.Add(p.interval)
	p.mu.Unlock()
	return p.sleep(ctx, at.Sub(now))
}

// hold delays the account and Region's next token by d from now.
func (p *Pacer) hold(key string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at := p.now().Add(d); at.After(p.next[key]) {
		p.next[key] = at
	}
}

// Client returns api paced for the account and Region: each call waits for
// its token, and a throttled call is made again after a backoff.
func (p *Pacer) Client(api API, account, region string) API {
	return &paced{api: api, p: p, key: account + "/" + region}
}

type paced struct {
	api API
	p   *Pacer
	key string
}

func (c *paced) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	for retry := 0; ; retry++ {
		if err := c.p.wait(ctx, c.key); err != nil {
			return nil, err
		}
		out, err := c.api.LookupEvents(ctx, in, opts...)
		if !Throttled(err) {
			return out, err
		}
		c.p.throttled.Add(1)
		if retry == MaxRetries {
			return nil, fmt.Errorf("still throttled after %d retries: %w", MaxRetries, err)
		}
		c.p.hold(c.key, backoff(retry))
	}
}

// backoff is the wait before retry n+1.
func backoff(n int) time.Duration {
	return min(MinBackoff<<n, MaxBackoff)
}

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// Throttled reports whether err is a throttling error, as the SDK's retryer
// classifies them (CloudTrail answers ThrottlingException, HTTP 400), or the
// client's own retry quota spent on them.
func Throttled(err error) bool {
	if err == nil {
		return false
	}
	var quota ratelimit.QuotaExceededError
	return throttles.IsErrorThrottle(err) == aws.TrueTernary || errors.As(err, &quota)
}
