package verify

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// Region names: us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1, ...
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]{2,10}){1,3}-[0-9]{1,2}$`)
)

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return accountPattern.MatchString(s) }

// ValidRegion reports whether s is shaped like a real AWS Region name.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }

// session does the lookups of one event for one account. Within an event
// nothing is asked twice; across events, the engine's cache answers what
// rarely changes.
type session struct {
	ctx     context.Context
	clients Clients
	cache   *cache
	account string
	calls   map[string]int
	memo    map[string]any
}

// remember answers from the event's memo, then from the engine's cache, and
// computes only on a miss of both.
func remember[T any](s *session, key string, compute func() (T, error)) (T, error) {
	if v, ok := s.memo[key]; ok {
		return v.(T), nil
	}
	v, err := cached(s.cache, key, compute)
	if err == nil {
		s.memo[key] = v
	}
	return v, err
}

// keyAnswer is a resolved key reference: its ARN, or that it does not exist.
type keyAnswer struct {
	ARN      string
	NotFound bool
}

func (s *session) count(api string) { s.calls[api]++ }

func (s *session) ec2(region string) (EC2API, error) {
	c, err := s.clients.EC2(s.ctx, s.account, region)
	if err != nil {
		return nil, fmt.Errorf("ec2 client for %s in %s: %w", s.account, region, err)
	}
	return &countingEC2{EC2API: c, s: s}, nil
}

// image describes one AMI; a missing one is ErrNotFound.
func (s *session) image(region, id string) (*ec2types.Image, error) {
	c, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx)
		if err != nil {
			if isNotFound(err) {
				break
			}
			return nil, fmt.Errorf("describe image %s in %s: %w", id, region, err)
		}
		for i := range page.Images {
			if aws.ToString(page.Images[i].ImageId) == id {
				return &page.Images[i], nil
			}
		}
	}
	return nil, fmt.Errorf("image %s in %s: %w", id, region, ErrNotFound)
}

// snapshots describes snapshots by ID. Snapshots the account cannot see are
// absent from the result, not an error: a shared AMI's snapshots often are.
func (s *session) snapshots(region string, ids []string) (map[string]ec2types.Snapshot, error) {
	out := map[string]ec2types.Snapshot{}
	if len(ids) == 0 {
		return out, nil
	}
	c, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	err = s.describeSnapshots(c, ids, out)
	if isNotFound(err) && len(ids) > 1 {
		// One unknown ID fails the whole call; ask one by one to keep the rest.
		for _, id := range ids {
			if err := s.describeSnapshots(c, []string{id}, out); err != nil && !isNotFound(err) {
				return nil, fmt.Errorf("describe snapshot %s in %s: %w", id, region, err)
			}
		}
		return out, nil
	}
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("describe snapshots %v in %s: %w", ids, region, err)
	}
	return out, nil
}

func (s *session) describeSnapshots(c EC2API, ids []string, out map[string]ec2types.Snapshot) error {
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{SnapshotIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx)
		if err != nil {
			return err
		}
		for _, snap := range page.Snapshots {
			out[aws.ToString(snap.SnapshotId)] = snap
		}
	}
	return nil
}

// attachedVolumes returns the volumes attached to the instances, by instance
// ID and device name.
func (s *session) attachedVolumes(region string, instanceIDs []string) (map[string]map[string]ec2types.Volume, error) {
	c, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]ec2types.Volume{}
	p := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{
		Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: instanceIDs}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx)
		if err != nil {
			return nil, fmt.Errorf("describe volumes of %v in %s: %w", instanceIDs, region, err)
		}
		for _, vol := range page.Volumes {
			for _, a := range vol.Attachments {
				id := aws.ToString(a.InstanceId)
				if out[id] == nil {
					out[id] = map[string]ec2types.Volume{}
				}
				out[id][aws.ToString(a.Device)] = vol
			}
		}
	}
	return out, nil
}

// launchTemplate returns the data of one launch template version.
func (s *session) launchTemplate(region, id, name, version string) (*ec2types.ResponseLaunchTemplateData, error) {
	c, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
	what := id
	if id != "" {
		in.LaunchTemplateId = aws.String(id)
	} else {
		in.LaunchTemplateName, what = aws.String(name), name
	}
	p := ec2.NewDescribeLaunchTemplateVersionsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx)
		if err != nil {
			return nil, fmt.Errorf("describe launch template %s version %s in %s: %w", what, version, region, err)
		}
		for _, v := range page.LaunchTemplateVersions {
			if v.LaunchTemplateData != nil {
				return v.LaunchTemplateData, nil
			}
		}
	}
	return nil, fmt.Errorf("launch template %s version %s in %s: %w", what, version, region, ErrNotFound)
}

// ebd returns whether encryption by default is on.
func (s *session) ebd(region string) (bool, error) {
	return remember(s, s.account+"/"+region+"/ebd", func() (bool, error) {
		c, err := s.ec2(region)
		if err != nil {
			return false, err
		}
		out, err := c.GetEbsEncryptionByDefault(s.ctx, &ec2.GetEbsEncryptionByDefaultInput{})
		if err != nil {
			return false, fmt.Errorf("get EBS encryption by default in %s: %w", region, err)
		}
		return aws.ToBool(out.EbsEncryptionByDefault), nil
	})
}

// defaultKeyRef returns the account's default EBS key reference as EC2 gives it.
func (s *session) defaultKeyRef(region string) (string, error) {
	return remember(s, s.account+"/"+region+"/defaultkey", func() (string, error) {
		c, err := s.ec2(region)
		if err != nil {
			return "", err
		}
		out, err := c.GetEbsDefaultKmsKeyId(s.ctx, &ec2.GetEbsDefaultKmsKeyIdInput{})
		if err != nil {
			return "", fmt.Errorf("get EBS default KMS key in %s: %w", region, err)
		}
		if id := aws.ToString(out.KmsKeyId); id != "" {
			return id, nil
		}
		return rules.AWSManagedAlias, nil
	})
}

// resolveKey resolves a key reference to a key ARN in the account and Region
// (KMS DescribeKey). A key ARN names itself and needs no call; an alias ARN is
// asked in the Region it names.
func (s *session) resolveKey(region, ref string) (keyAnswer, error) {
	parsed, err := rules.ParseKeyRef(ref)
	if err != nil {
		return keyAnswer{}, err
	}
	switch parsed.Kind {
	case rules.KeyARN:
		return keyAnswer{ARN: parsed.String()}, nil
	case rules.AliasARN:
		region = parsed.Region
	}
	return s.describeKey(region, parsed.String())
}

// describeKey asks KMS, once per event and once per cache lifetime.
func (s *session) describeKey(region, ref string) (keyAnswer, error) {
	return remember(s, s.account+"/"+region+"/key/"+ref, func() (keyAnswer, error) {
		c, err := s.clients.KMS(s.ctx, s.account, region)
		if err != nil {
			return keyAnswer{}, fmt.Errorf("kms client for %s in %s: %w", s.account, region, err)
		}
		s.count("DescribeKey")
		out, err := c.DescribeKey(s.ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if isNotFound(err) {
			return keyAnswer{NotFound: true}, nil
		}
		if err != nil {
			return keyAnswer{}, fmt.Errorf("describe key %s in %s: %w", ref, region, err)
		}
		if out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.Arn) == "" {
			return keyAnswer{}, fmt.Errorf("describe key %s in %s: no key ARN in the answer", ref, region)
		}
		return keyAnswer{ARN: aws.ToString(out.KeyMetadata.Arn)}, nil
	})
}

// mustResolve resolves a reference that has to exist.
func (s *session) mustResolve(region, ref string) (string, error) {
	a, err := s.resolveKey(region, ref)
	if err != nil {
		return "", err
	}
	if a.NotFound {
		return "", fmt.Errorf("KMS key %s in %s: %w", ref, region, ErrNotFound)
	}
	return a.ARN, nil
}

// errIsPermanentLookup tells a lookup answer that is final (not found, a
// malformed reference) from one to retry.
func errIsPermanentLookup(err error) bool {
	return isNotFound(err) || errors.Is(err, rules.ErrBadKeyRef)
}

// countingEC2 counts the EC2 calls an event makes, paginated pages included.
type countingEC2 struct {
	EC2API
	s *session
}

func (c *countingEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	c.s.count("DescribeImages")
	return c.EC2API.DescribeImages(ctx, in, o...)
}

func (c *countingEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, o ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	c.s.count("DescribeSnapshots")
	return c.EC2API.DescribeSnapshots(ctx, in, o...)
}

func (c *countingEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, o ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	c.s.count("DescribeVolumes")
	return c.EC2API.DescribeVolumes(ctx, in, o...)
}

func (c *countingEC2) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, o ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	c.s.count("DescribeLaunchTemplateVersions")
	return c.EC2API.DescribeLaunchTemplateVersions(ctx, in, o...)
}

func (c *countingEC2) GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, o ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	c.s.count("GetEbsEncryptionByDefault")
	return c.EC2API.GetEbsEncryptionByDefault(ctx, in, o...)
}

func (c *countingEC2) GetEbsDefaultKmsKeyId(ctx context.Context, in *ec2.GetEbsDefaultKmsKeyIdInput, o ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error) {
	c.s.count("GetEbsDefaultKmsKeyId")
	return c.EC2API.GetEbsDefaultKmsKeyId(ctx, in, o...)
}
