// Package capture records the account state behind verdicts as a world file
// (formats.md §2): a Recorder wraps the live clients the engine evaluates
// with, and keeps every answer they give, so that `replay --world` answers
// the same lookups the same way offline. The engine alone decides what to
// look up; the recorder only keeps what AWS answered. A "not found" is kept
// as the absence it is: the world answers it as AWS did. Any other failed
// lookup (access denied, throttling past the retries) leaves nothing either,
// so the world cannot reproduce its verdict: Check finds those.
package capture

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// Recorder is verify.Clients that passes every call to live clients and
// records the answers. It is safe for concurrent use.
type Recorder struct {
	live verify.Clients

	mu      sync.Mutex
	regions map[string]map[string]*world.Region
}

var _ verify.Clients = (*Recorder)(nil)

// NewRecorder returns a recorder over live clients.
func NewRecorder(live verify.Clients) *Recorder {
	return &Recorder{live: live, regions: map[string]map[string]*world.Region{}}
}

// EC2 returns the live EC2 client of the account and Region, recording:
// the same client with one more step on its middleware stack.
func (r *Recorder) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	c, err := r.live.EC2(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return ec2.New(verify.SDKEC2(c, region).Options(), func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, r.step(account, region))
	}), nil
}

// KMS returns the live KMS client of the account and Region, recording.
func (r *Recorder) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	c, err := r.live.KMS(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return kms.New(verify.SDKKMS(c, region).Options(), func(o *kms.Options) {
		o.APIOptions = append(o.APIOptions, r.step(account, region))
	}), nil
}

// step records every answered read of the client, whatever the operation:
// the world keeps it as world.Region.Record says (added first in the
// Initialize step, it sees the final answer, after the SDK's retries).
func (r *Recorder) step(account, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ebsguardRecord",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					r.update(account, region, func(reg *world.Region) { reg.Record(in.Parameters, out.Result) })
				}
				return out, md, err
			}), middleware.Before)
	}
}

// World returns what was recorded as a world, every list sorted by ID so
// that the same answers always give the same file.
func (r *Recorder) World() *world.World {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := &world.World{Accounts: map[string]map[string]*world.Region{}}
	for account, regions := range r.regions {
		w.Accounts[account] = map[string]*world.Region{}
		for name, reg := range regions {
			w.Accounts[account][name] = reg.Sorted()
		}
	}
	return w
}

// update changes the recorded view of an account and Region.
func (r *Recorder) update(account, region string, f func(*world.Region)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.regions[account] == nil {
		r.regions[account] = map[string]*world.Region{}
	}
	reg := r.regions[account][region]
	if reg == nil {
		reg = &world.Region{}
		r.regions[account][region] = reg
	}
	f(reg)
}
