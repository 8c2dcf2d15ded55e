package verify

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// runInstances builds one target per EBS volume of each launched instance.
func (s *session) runInstances(r *cloudtrail.Record, region string) ([]target, error) {
	req, err := cloudtrail.RunInstances(r)
	if err != nil {
		return nil, fmt.Errorf("malformed RunInstances record: %w", err)
	}
	if len(req.Instances) == 0 {
		return nil, fmt.Errorf("malformed RunInstances record: responseElements lists no launched instance")
	}
	var tmpl *ec2types.ResponseLaunchTemplateData
	if lt := req.LaunchTemplate; lt != nil {
		if tmpl, err = s.launchTemplate(region, lt.ID, lt.Name, lt.Version); err != nil {
			return nil, err
		}
	}
	imageID := req.ImageID
	if imageID == "" && tmpl != nil {
		imageID = aws.ToString(tmpl.ImageId)
	}
	if imageID == "" {
		return nil, fmt.Errorf("malformed RunInstances record: no AMI in the request, its launch template or the response")
	}
	img, err := s.image(region, imageID)
	if err != nil {
		return nil, fmt.Errorf("launched image: %w", err)
	}
	mappings := rules.MergeMappings(amiMappings(img.BlockDeviceMappings), templateMappings(tmpl), req.Mappings)
	var ids []string
	for _, m := range mappings {
		if m.SnapshotID != "" {
			ids = append(ids, m.SnapshotID)
		}
	}
	snaps, err := s.snapshots(region, ids)
	if err != nil {
		return nil, err
	}
	instanceIDs := make([]string, len(req.Instances))
	for i, inst := range req.Instances {
		instanceIDs[i] = inst.InstanceID
	}
	vols, err := s.attachedVolumes(region, instanceIDs)
	if err != nil {
		return nil, err
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	var out []target
	for _, inst := range req.Instances {
		for _, m := range mappings {
			if m.InstanceStore() {
				continue
			}
			src, err := s.launchSource(region, *img, m, snaps)
			if err != nil {
				return nil, err
			}
			t := target{
				region: region, parent: inst.InstanceID, device: m.DeviceName, src: src,
				requestKey: m.KMSKeyID,
				in: rules.Input{Op: rules.RunInstances, Source: src.State, Owned: src.Owned, SameRegion: true,
					Encrypted: m.Encrypted, KeyGiven: m.KMSKeyID != "", EBD: ebd},
			}
			if vol, ok := vols[inst.InstanceID][m.DeviceName]; ok {
				state, err := s.resolveActual(region, vol.Encrypted, vol.KmsKeyId)
				if err != nil {
					return nil, fmt.Errorf("key of volume %s: %w", aws.ToString(vol.VolumeId), err)
				}
				t.resource, t.actual = aws.ToString(vol.VolumeId), &state
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// launchSource describes what a launched volume is made from: nothing (an
// empty volume), or a snapshot seen directly or through the AMI's mapping.
func (s *session) launchSource(region string, img ec2types.Image, m rules.Mapping, snaps map[string]ec2types.Snapshot) (source, error) {
	if m.SnapshotID == "" {
		return source{State: rules.EmptySource, Region: region}, nil
	}
	for _, am := range ebsSnapshots(img.BlockDeviceMappings) {
		if aws.ToString(am.Ebs.SnapshotId) == m.SnapshotID {
			return s.sourceOf(region, img, am, snaps), nil
		}
	}
	snap, ok := snaps[m.SnapshotID]
	if !ok {
		return source{}, fmt.Errorf("snapshot %s of device %s in %s: %w", m.SnapshotID, m.DeviceName, region, ErrNotFound)
	}
	synthetic := ec2types.BlockDeviceMapping{Ebs: &ec2types.EbsBlockDevice{SnapshotId: snap.SnapshotId}}
	return s.sourceOf(region, img, synthetic, snaps), nil
}

// amiMappings turns an AMI's mappings into the merge's base layer. The AMI's
// Encrypted and KmsKeyId describe its snapshots, not a request, so they are
// not carried as request parameters.
func amiMappings(ms []ec2types.BlockDeviceMapping) []rules.Mapping {
	var out []rules.Mapping
	for _, m := range ms {
		rm := rules.Mapping{DeviceName: aws.ToString(m.DeviceName), VirtualName: aws.ToString(m.VirtualName), NoDevice: m.NoDevice != nil}
		if m.Ebs != nil {
			rm.SnapshotID = aws.ToString(m.Ebs.SnapshotId)
		}
		out = append(out, rm)
	}
	return out
}

// templateMappings turns a launch template's mappings into a merge layer; its
// Encrypted and KmsKeyId are the caller's request.
func templateMappings(t *ec2types.ResponseLaunchTemplateData) []rules.Mapping {
	if t == nil {
		return nil
	}
	var out []rules.Mapping
	for _, m := range t.BlockDeviceMappings {
		rm := rules.Mapping{DeviceName: aws.ToString(m.DeviceName), VirtualName: aws.ToString(m.VirtualName), NoDevice: m.NoDevice != nil}
		if m.Ebs != nil {
			rm.SnapshotID = aws.ToString(m.Ebs.SnapshotId)
			rm.Encrypted = rules.FlagOf(m.Ebs.Encrypted)
			rm.KMSKeyID = aws.ToString(m.Ebs.KmsKeyId)
		}
		out = append(out, rm)
	}
	return out
}
