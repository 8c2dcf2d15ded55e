package verify

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// copyImage builds one target per EBS snapshot of the source AMI.
func (s *session) copyImage(r *cloudtrail.Record, region string) ([]target, error) {
	req, err := cloudtrail.CopyImage(r)
	if err != nil {
		return nil, fmt.Errorf("malformed CopyImage record: %w", err)
	}
	if req.LocalZone != "" {
		return nil, skip{"unsupported:local-zone-copy"}
	}
	if !ValidRegion(req.SourceRegion) {
		return nil, fmt.Errorf("invalid Region %q in sourceRegion", req.SourceRegion)
	}
	srcImage, err := s.image(req.SourceRegion, req.SourceImageID)
	if err != nil {
		return nil, fmt.Errorf("source image: %w", err)
	}
	mappings := ebsSnapshots(srcImage.BlockDeviceMappings)
	if len(mappings) == 0 {
		return nil, nil // instance-store backed: nothing to check
	}
	srcSnaps, err := s.snapshots(req.SourceRegion, snapshotIDs(mappings))
	if err != nil {
		return nil, err
	}
	newSnaps, err := s.copiedSnapshots(region, req.ImageID)
	if err != nil {
		return nil, err
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	var out []target
	for _, m := range mappings {
		src := s.sourceOf(req.SourceRegion, *srcImage, m, srcSnaps)
		t := target{
			region: region, parent: req.ImageID, device: aws.ToString(m.DeviceName), src: src,
			requestKey: req.KMSKeyID, sourceImage: req.SourceImageID,
			in: rules.Input{Op: rules.CopyImage, Source: src.State, Owned: src.Owned, SameRegion: req.SourceRegion == region,
				Destination: req.Destination, Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd},
		}
		if snap, ok := newSnaps[t.device]; ok {
			state, err := s.resolveActual(region, snap.Encrypted, snap.KmsKeyId)
			if err != nil {
				return nil, fmt.Errorf("key of snapshot %s: %w", aws.ToString(snap.SnapshotId), err)
			}
			t.resource, t.actual = aws.ToString(snap.SnapshotId), &state
		}
		out = append(out, t)
	}
	return out, nil
}

// copiedSnapshots returns the new AMI's snapshots by device, or none while
// the copy is not visible or still pending.
func (s *session) copiedSnapshots(region, imageID string) (map[string]ec2types.Snapshot, error) {
	if imageID == "" {
		return nil, fmt.Errorf("malformed CopyImage record: responseElements has no imageId")
	}
	img, err := s.image(region, imageID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("copied image: %w", err)
	}
	mappings := ebsSnapshots(img.BlockDeviceMappings)
	switch img.State {
	case ec2types.ImageStateAvailable:
	case "":
		// A hand-written world may omit the state: snapshots mean available.
		if len(mappings) == 0 {
			return nil, nil
		}
	case ec2types.ImageStatePending:
		return nil, nil
	default:
		return nil, fmt.Errorf("copied image %s is %s", imageID, img.State)
	}
	snaps, err := s.snapshots(region, snapshotIDs(mappings))
	if err != nil {
		return nil, err
	}
	out := map[string]ec2types.Snapshot{}
	for _, m := range mappings {
		if snap, ok := snaps[aws.ToString(m.Ebs.SnapshotId)]; ok {
			out[aws.ToString(m.DeviceName)] = snap
		}
	}
	return out, nil
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
func (s *session) sourceOf(region string, img ec2types.Image, m ec2types.BlockDeviceMapping, snaps map[string]ec2types.Snapshot) source {
	src := source{SnapshotID: aws.ToString(m.Ebs.SnapshotId), Region: region, State: rules.UnencryptedSource}
	encrypted, key, owner := isEncrypted(m.Ebs.Encrypted, m.Ebs.KmsKeyId), aws.ToString(m.Ebs.KmsKeyId), aws.ToString(img.OwnerId)
	if snap, ok := snaps[src.SnapshotID]; ok {
		encrypted, key, owner = isEncrypted(snap.Encrypted, snap.KmsKeyId), aws.ToString(snap.KmsKeyId), aws.ToString(snap.OwnerId)
	}
	if encrypted {
		src.State, src.KeyRef = rules.EncryptedSource, key
	}
	src.Owned = owner == s.account
	return src
}
