package verify

// The AMI lookups every kind makes through the same calls: an image by ID
// (cached once available), several at once, and what an AMI's mappings say
// of their source snapshots.

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// imageAnswer is an image as DescribeImages gives it; only an available
// image's mappings are final.
type imageAnswer struct{ ec2types.Image }

func (a imageAnswer) cacheable() bool { return a.State == ec2types.ImageStateAvailable }

// image describes one AMI; a missing one is ErrNotFound.
func (s *session) image(region, id string) (*ec2types.Image, error) {
	a, err := remember(s, "image/"+s.account+"/"+region+"/"+id, immutable, func() (imageAnswer, error) {
		c, err := s.ec2(region)
		if err != nil {
			return imageAnswer{}, err
		}
		p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		for p.HasMorePages() {
			page, err := p.NextPage(s.ctx)
			if err != nil {
				if isNotFound(err) {
					break
				}
				return imageAnswer{}, fmt.Errorf("describe image %s in %s: %w", id, region, err)
			}
			for _, img := range page.Images {
				if aws.ToString(img.ImageId) == id {
					return imageAnswer{img}, nil
				}
			}
		}
		return imageAnswer{}, fmt.Errorf("image %s in %s: %w", id, region, ErrNotFound)
	})
	if err != nil {
		return nil, err
	}
	return &a.Image, nil
}

// prefetchImages describes several AMIs of one Region in one call and keeps
// them as image would. An ID that does not exist fails the whole call: then
// nothing is kept, and image asks for each on its own.
func (s *session) prefetchImages(region string, ids ...string) error {
	c, err := s.ec2(region)
	if err != nil {
		return err
	}
	out, err := c.DescribeImages(s.ctx, &ec2.DescribeImagesInput{ImageIds: ids})
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe images %v in %s: %w", ids, region, err)
	}
	for _, img := range out.Images {
		key := "image/" + s.account + "/" + region + "/" + aws.ToString(img.ImageId)
		a := imageAnswer{img}
		s.memo[key] = a
		if a.cacheable() {
			s.cache.put(key, a)
		}
	}
	return nil
}

// ebsSnapshots returns the mappings of an AMI that are EBS snapshots.
func ebsSnapshots(ms []ec2types.BlockDeviceMapping) []ec2types.BlockDeviceMapping {
	var out []ec2types.BlockDeviceMapping
	for _, m := range ms {
		if m.Ebs != nil && aws.ToString(m.Ebs.SnapshotId) != "" && m.NoDevice == nil {
			out = append(out, m)
		}
	}
	return out
}

func snapshotIDs(ms []ec2types.BlockDeviceMapping) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, aws.ToString(m.Ebs.SnapshotId))
	}
	return ids
}

// sourceOf describes the source of one AMI mapping: from the snapshot when
// the account can see it, else from the AMI's mapping and owner.
func sourceOf(s *session, region string, img ec2types.Image, m ec2types.BlockDeviceMapping, snaps map[string]ec2types.Snapshot) source {
	src := source{SnapshotID: aws.ToString(m.Ebs.SnapshotId), Region: region, State: rules.UnencryptedSource}
	encrypted, key, owner := isEncrypted(m.Ebs.Encrypted, m.Ebs.KmsKeyId), aws.ToString(m.Ebs.KmsKeyId), aws.ToString(img.OwnerId)
	if snap, ok := snaps[src.SnapshotID]; ok {
		encrypted, key, owner = isEncrypted(snap.Encrypted, snap.KmsKeyId), aws.ToString(snap.KmsKeyId), aws.ToString(snap.OwnerId)
		src.Associated = associatedKeys(snap)
	}
	if encrypted {
		src.State, src.KeyRef = rules.EncryptedSource, key
	}
	src.Owned = owner == s.account
	return src
}
