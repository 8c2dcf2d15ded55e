package world

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// EC2 answers EC2 calls from one account's view of one Region.
type EC2 struct {
	world           *World
	live            *Live // nil: the file as written
	account, region string
}

// call is what a describe call asks, so that a live view can tell which later
// results it would show.
type call struct {
	list    list // the list it describes
	ids     []string
	filters []ec2types.Filter
}

// view returns the Region the call is answered from.
func (c *EC2) view(q call) (*Region, error) {
	if c.live != nil {
		return c.live.view(c.account, c.region, q)
	}
	return c.world.view(c.account, c.region), nil
}

func notFound(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// missing returns the IDs of want that have is lacks.
func missing(want []string, has func(string) bool) []string {
	var out []string
	for _, id := range want {
		if !has(id) {
			out = append(out, id)
		}
	}
	return out
}

// DescribeImages answers by ImageIds; an unknown ID is InvalidAMIID.NotFound.
func (c *EC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{list: images, ids: in.ImageIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	imgs, ix := images.of(reg), reg.idx()
	out := &ec2.DescribeImagesOutput{}
	if len(in.ImageIds) == 0 {
		if out.Images, err = imgs.all(); err != nil {
			return nil, err
		}
		return out, nil
	}
	if m := missing(in.ImageIds, func(id string) bool { _, ok := ix.at(images, id); return ok }); len(m) > 0 {
		return nil, notFound("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", strings.Join(m, ", "))
	}
	for _, id := range in.ImageIds {
		i, _ := ix.at(images, id)
		img, err := imgs.at(i)
		if err != nil {
			return nil, err
		}
		out.Images = append(out.Images, img)
	}
	return out, nil
}

// DescribeSnapshots answers by SnapshotIds; an unknown ID is InvalidSnapshot.NotFound.
func (c *EC2) DescribeSnapshots(_ context.Context, in *ec2.DescribeSnapshotsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{list: snapshots, ids: in.SnapshotIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	snaps, ix := snapshots.of(reg), reg.idx()
	out := &ec2.DescribeSnapshotsOutput{}
	if len(in.SnapshotIds) == 0 {
		if len(in.Filters) == 0 {
			if out.Snapshots, err = snaps.all(); err != nil {
				return nil, err
			}
			return out, nil
		}
		cand, ok := ix.snapshotCandidates(in.Filters)
		if !ok {
			cand = make([]int, snaps.len())
			for i := range cand {
				cand[i] = i
			}
		}
		for _, i := range cand {
			s, err := snaps.at(i)
			if err != nil {
				return nil, err
			}
			if snapshotFilter(s, in.Filters) {
				out.Snapshots = append(out.Snapshots, s)
			}
		}
		return out, nil
	}
	if m := missing(in.SnapshotIds, func(id string) bool { _, ok := ix.at(snapshots, id); return ok }); len(m) > 0 {
		return nil, notFound("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", strings.Join(m, ", "))
	}
	for _, id := range in.SnapshotIds {
		i, _ := ix.at(snapshots, id)
		s, err := snaps.at(i)
		if err != nil {
			return nil, err
		}
		out.Snapshots = append(out.Snapshots, s)
	}
	return out, nil
}

// DescribeVolumes answers by VolumeIds and by the filters
// attachment.instance-id and volume-id. A volume's attachments are taken from
// the volume and, where it lists none, from the instances whose mappings name
// it.
func (c *EC2) DescribeVolumes(_ context.Context, in *ec2.DescribeVolumesInput, _ ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg, err := c.view(call{list: volumes, ids: in.VolumeIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	ix := reg.idx()
	if m := missing(in.VolumeIds, func(id string) bool { _, ok := ix.at(volumes, id); return ok }); len(m) > 0 {
		return nil, notFound("InvalidVolume.NotFound", "The volume '%s' does not exist.", strings.Join(m, ", "))
	}
	out := &ec2.DescribeVolumesOutput{}
	cand := ix.volumeCandidates(in.VolumeIds, in.Filters)
	if cand == nil && len(in.VolumeIds) == 0 && !hasFilter(in.Filters, "attachment.instance-id") {
		cand = make([]int, volumes.of(reg).len())
		for i := range cand {
			cand[i] = i
		}
	}
	for _, i := range cand {
		vol, err := reg.volume(ix, i)
		if err != nil {
			return nil, err
		}
		if len(in.VolumeIds) > 0 && !slices.Contains(in.VolumeIds, aws.ToString(vol.VolumeId)) {
			continue
		}
		if !matchFilters(vol, in.Filters) {
			continue
		}
		out.Volumes = append(out.Volumes, vol)
	}
	return out, nil
}

func hasFilter(filters []ec2types.Filter, name string) bool {
	return slices.ContainsFunc(filters, func(f ec2types.Filter) bool { return aws.ToString(f.Name) == name })
}

func (v *Region) attachedVolumes() []ec2types.Volume {
	byVolume := map[string][]ec2types.VolumeAttachment{}
	for _, inst := range v.Instances {
		for _, m := range inst.BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.VolumeId != nil {
				byVolume[*m.Ebs.VolumeId] = append(byVolume[*m.Ebs.VolumeId], ec2types.VolumeAttachment{
					InstanceId: inst.InstanceId, Device: m.DeviceName, VolumeId: m.Ebs.VolumeId,
				})
			}
		}
	}
	out := slices.Clone(v.Volumes)
	for i, vol := range out {
		if len(vol.Attachments) == 0 {
			out[i].Attachments = byVolume[aws.ToString(vol.VolumeId)]
		}
	}
	return out
}

func matchFilters(vol ec2types.Volume, filters []ec2types.Filter) bool {
	for _, f := range filters {
		switch aws.ToString(f.Name) {
		case "attachment.instance-id":
			if !slices.ContainsFunc(vol.Attachments, func(a ec2types.VolumeAttachment) bool {
				return slices.Contains(f.Values, aws.ToString(a.InstanceId))
			}) {
				return false
			}
		case "volume-id":
			if !slices.Contains(f.Values, aws.ToString(vol.VolumeId)) {
				return false
			}
		}
	}
	return true
}

// DescribeLaunchTemplateVersions answers by template ID or name and versions
// (numbers, "$Default", "$Latest").
func (c *EC2) DescribeLaunchTemplateVersions(_ context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	reg := c.world.view(c.account, c.region)
	var at []int
	if in.LaunchTemplateId != nil {
		at = append(at, reg.idx().by(launchTemplateVersions, "id", *in.LaunchTemplateId)...)
	}
	if in.LaunchTemplateName != nil {
		at = append(at, reg.idx().by(launchTemplateVersions, "name", *in.LaunchTemplateName)...)
	}
	slices.Sort(at)
	var versions []ec2types.LaunchTemplateVersion
	for _, i := range slices.Compact(at) {
		v, err := launchTemplateVersions.of(reg).at(i)
		if err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	if len(versions) == 0 {
		if in.LaunchTemplateId != nil {
			return nil, notFound("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", *in.LaunchTemplateId)
		}
		return nil, notFound("InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", aws.ToString(in.LaunchTemplateName))
	}
	if len(in.Versions) == 0 {
		return &ec2.DescribeLaunchTemplateVersionsOutput{LaunchTemplateVersions: versions}, nil
	}
	out := &ec2.DescribeLaunchTemplateVersionsOutput{}
	for _, want := range in.Versions {
		i := slices.IndexFunc(versions, func(v ec2types.LaunchTemplateVersion) bool { return versionIs(v, versions, want) })
		if i < 0 {
			return nil, notFound("InvalidLaunchTemplateId.VersionNotFound", "Could not find launch template version %s.", want)
		}
		out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, versions[i])
	}
	return out, nil
}

func versionIs(v ec2types.LaunchTemplateVersion, all []ec2types.LaunchTemplateVersion, want string) bool {
	switch want {
	case "$Default":
		return aws.ToBool(v.DefaultVersion)
	case "$Latest":
		latest := int64(0)
		for _, x := range all {
			latest = max(latest, aws.ToInt64(x.VersionNumber))
		}
		return aws.ToInt64(v.VersionNumber) == latest
	default:
		n, err := strconv.ParseInt(want, 10, 64)
		return err == nil && aws.ToInt64(v.VersionNumber) == n
	}
}

// GetEbsEncryptionByDefault answers ebsEncryptionByDefault (default false).
func (c *EC2) GetEbsEncryptionByDefault(context.Context, *ec2.GetEbsEncryptionByDefaultInput, ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	return &ec2.GetEbsEncryptionByDefaultOutput{EbsEncryptionByDefault: aws.Bool(c.world.view(c.account, c.region).EBSEncryptionByDefault)}, nil
}

// GetEbsDefaultKmsKeyId answers ebsDefaultKmsKeyId (default alias/aws/ebs).
func (c *EC2) GetEbsDefaultKmsKeyId(context.Context, *ec2.GetEbsDefaultKmsKeyIdInput, ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error) {
	id := c.world.view(c.account, c.region).EBSDefaultKMSKeyID
	if id == "" {
		id = "alias/aws/ebs"
	}
	return &ec2.GetEbsDefaultKmsKeyIdOutput{KmsKeyId: aws.String(id)}, nil
}

// DescribeRegions answers the Regions the world lists for the calling
// account as its enabled Regions (opt-in-not-required), sorted by name. A
// Region named in RegionNames that the world does not list for the account is
// answered as not-opted-in, since EC2 describes any named Region, enabled or
// not. Filters region-name and opt-in-status apply.
func (c *EC2) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	enabled := map[string]bool{}
	for name := range c.world.Accounts[c.account] {
		enabled[name] = true
	}
	names := in.RegionNames
	if len(names) == 0 {
		for name := range enabled {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := &ec2.DescribeRegionsOutput{}
	for _, name := range slices.Compact(names) {
		status := "opt-in-not-required"
		if !enabled[name] {
			status = "not-opted-in"
		}
		ok := true
		for _, f := range in.Filters {
			switch aws.ToString(f.Name) {
			case "region-name":
				ok = ok && slices.Contains(f.Values, name)
			case "opt-in-status":
				ok = ok && slices.Contains(f.Values, status)
			}
		}
		if ok {
			out.Regions = append(out.Regions, ec2types.Region{RegionName: aws.String(name),
				Endpoint: aws.String("ec2." + name + ".amazonaws.com"), OptInStatus: aws.String(status)})
		}
	}
	return out, nil
}
