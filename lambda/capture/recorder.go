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
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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
			c := *reg
			c.Images = slices.Clone(reg.Images)
			slices.SortFunc(c.Images, func(a, b ec2types.Image) int { return cmp.Compare(aws.ToString(a.ImageId), aws.ToString(b.ImageId)) })
			c.Snapshots = slices.Clone(reg.Snapshots)
			slices.SortFunc(c.Snapshots, func(a, b ec2types.Snapshot) int {
				return cmp.Compare(aws.ToString(a.SnapshotId), aws.ToString(b.SnapshotId))
			})
			c.Volumes = slices.Clone(reg.Volumes)
			slices.SortFunc(c.Volumes, func(a, b ec2types.Volume) int { return cmp.Compare(aws.ToString(a.VolumeId), aws.ToString(b.VolumeId)) })
			c.LaunchTemplateVersions = slices.Clone(reg.LaunchTemplateVersions)
			slices.SortFunc(c.LaunchTemplateVersions, func(a, b ec2types.LaunchTemplateVersion) int {
				return cmp.Or(cmp.Compare(aws.ToString(a.LaunchTemplateId), aws.ToString(b.LaunchTemplateId)), cmp.Compare(aws.ToInt64(a.VersionNumber), aws.ToInt64(b.VersionNumber)))
			})
			c.ImportSnapshotTasks = slices.Clone(reg.ImportSnapshotTasks)
			slices.SortFunc(c.ImportSnapshotTasks, func(a, b ec2types.ImportSnapshotTask) int {
				return cmp.Compare(aws.ToString(a.ImportTaskId), aws.ToString(b.ImportTaskId))
			})
			c.ImportImageTasks = slices.Clone(reg.ImportImageTasks)
			slices.SortFunc(c.ImportImageTasks, func(a, b ec2types.ImportImageTask) int {
				return cmp.Compare(aws.ToString(a.ImportTaskId), aws.ToString(b.ImportTaskId))
			})
			c.Keys = slices.Clone(reg.Keys)
			for i := range c.Keys {
				c.Keys[i].Aliases = slices.Sorted(slices.Values(c.Keys[i].Aliases))
			}
			slices.SortFunc(c.Keys, func(a, b world.Key) int { return cmp.Compare(aws.ToString(a.Arn), aws.ToString(b.Arn)) })
			sortRootReplace(&c, reg) // recorder_rootreplace.go
			w.Accounts[account][name] = &c
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
