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
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
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

// EC2 returns the live EC2 client of the account and Region, recording.
func (r *Recorder) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	c, err := r.live.EC2(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return &recordingEC2{live: c, r: r, account: account, region: region}, nil
}

// KMS returns the live KMS client of the account and Region, recording.
func (r *Recorder) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	c, err := r.live.KMS(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return &recordingKMS{live: c, r: r, account: account, region: region}, nil
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

// upsert replaces the element with the same ID, or appends.
func upsert[T any](list []T, x T, id func(T) string) []T {
	if i := slices.IndexFunc(list, func(y T) bool { return id(y) == id(x) }); i >= 0 {
		list[i] = x
		return list
	}
	return append(list, x)
}

type recordingEC2 struct {
	live            verify.EC2API
	r               *Recorder
	account, region string
}

func (c *recordingEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	out, err := c.live.DescribeImages(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, img := range out.Images {
				reg.Images = upsert(reg.Images, img, func(x ec2types.Image) string { return aws.ToString(x.ImageId) })
			}
		})
	}
	return out, err
}

func (c *recordingEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, o ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	out, err := c.live.DescribeSnapshots(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, s := range out.Snapshots {
				reg.Snapshots = upsert(reg.Snapshots, s, func(x ec2types.Snapshot) string { return aws.ToString(x.SnapshotId) })
			}
		})
	}
	return out, err
}

func (c *recordingEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, o ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	out, err := c.live.DescribeVolumes(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, v := range out.Volumes {
				reg.Volumes = upsert(reg.Volumes, v, func(x ec2types.Volume) string { return aws.ToString(x.VolumeId) })
			}
		})
	}
	return out, err
}

func (c *recordingEC2) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, o ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	out, err := c.live.DescribeLaunchTemplateVersions(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, v := range out.LaunchTemplateVersions {
				reg.LaunchTemplateVersions = upsert(reg.LaunchTemplateVersions, v, func(x ec2types.LaunchTemplateVersion) string {
					return fmt.Sprintf("%s/%d", aws.ToString(x.LaunchTemplateId), aws.ToInt64(x.VersionNumber))
				})
			}
		})
	}
	return out, err
}

func (c *recordingEC2) GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, o ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	out, err := c.live.GetEbsEncryptionByDefault(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) { reg.EBSEncryptionByDefault = aws.ToBool(out.EbsEncryptionByDefault) })
	}
	return out, err
}

func (c *recordingEC2) GetEbsDefaultKmsKeyId(ctx context.Context, in *ec2.GetEbsDefaultKmsKeyIdInput, o ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error) {
	out, err := c.live.GetEbsDefaultKmsKeyId(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) { reg.EBSDefaultKMSKeyID = aws.ToString(out.KmsKeyId) })
	}
	return out, err
}

type recordingKMS struct {
	live            verify.KMSAPI
	r               *Recorder
	account, region string
}

// DescribeKey records the key under the calling account and Region, where
// the world resolves references, with the alias it was asked by: the world
// resolves an alias name or alias ARN only through a key's Aliases.
func (c *recordingKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, o ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	out, err := c.live.DescribeKey(ctx, in, o...)
	if err != nil || out.KeyMetadata == nil {
		return out, err
	}
	alias := ""
	switch ref := aws.ToString(in.KeyId); {
	case strings.HasPrefix(ref, "alias/"):
		alias = ref
	case strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":alias/"):
		alias = ref[strings.Index(ref, ":alias/")+1:]
	}
	c.r.update(c.account, c.region, func(reg *world.Region) {
		i := slices.IndexFunc(reg.Keys, func(x world.Key) bool { return aws.ToString(x.Arn) == aws.ToString(out.KeyMetadata.Arn) })
		if i < 0 {
			reg.Keys = append(reg.Keys, world.Key{})
			i = len(reg.Keys) - 1
		}
		k := &reg.Keys[i]
		k.KeyMetadata = *out.KeyMetadata
		if alias != "" && !slices.Contains(k.Aliases, alias) {
			k.Aliases = append(k.Aliases, alias)
		}
	})
	return out, err
}
