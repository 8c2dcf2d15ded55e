package verify

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// runInstances is the RunInstances kind: one result per EBS volume of each
// launched instance, found with DescribeVolumes by attachment.
type runInstances struct{}

var _ = engineFor[runInstancesParameters, runInstancesResponse](rules.RunInstances, runInstances{})

func (runInstances) quick() bool { return true }

func (runInstances) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readRunInstances(r)
	if err != nil {
		return nil, fmt.Errorf("malformed RunInstances record: %w", err)
	}
	if len(req.Instances) == 0 {
		return nil, fmt.Errorf("malformed RunInstances record: responseElements lists no launched instance")
	}
	region := s.region
	var tmpl *ec2types.ResponseLaunchTemplateData
	if lt := req.LaunchTemplate; lt != nil {
		v, err := s.launchTemplate(region, lt.ID, lt.Name, lt.Version)
		if err != nil {
			return nil, err
		}
		tmpl = v.Data
		if !lt.Concrete {
			// The record does not say which version was launched: a later
			// version, or a replay of an old trail, may see another one.
			s.warn("launch template %s: the record names version %s and no launched instance carries an %s tag; evaluated against version %d, the one %s names at %s",
				lt.what(), lt.Version, templateVersionTag, v.Number, lt.Version, s.now().UTC().Format("2006-01-02T15:04:05Z"))
		}
	}
	imageID := req.ImageID
	if imageID == "" && tmpl != nil {
		imageID = aws.ToString(tmpl.ImageId)
	}
	if imageID == "" {
		return nil, fmt.Errorf("malformed RunInstances record: no AMI in the request, its launch template or the response")
	}
	instanceIDs := make([]string, len(req.Instances))
	for i, inst := range req.Instances {
		instanceIDs[i] = inst.InstanceID
	}
	vols, err := s.attachedVolumes(region, instanceIDs)
	if err != nil {
		return nil, err
	}
	if len(vols) == 0 && s.gone() {
		// Long after the launch no instance has a volume: they were
		// terminated (their volumes deleted) before anyone could look.
		return nil, skip{"instances-gone"}
	}
	img, base, err := launchedMappings(s, region, imageID, vols)
	if err != nil {
		return nil, err
	}
	mappings := rules.MergeMappings(base, templateMappings(tmpl), req.Mappings)
	var ids []string
	for _, m := range mappings {
		ids = append(ids, m.SnapshotID)
	}
	snaps, err := s.snapshots(region, ids)
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
			t := target{region: region, parent: inst.InstanceID, device: m.DeviceName, requestKey: m.KMSKeyID, image: imageID, from: ", launched from " + imageID}
			t.src, t.err = launchSource(s, region, img, m, snaps)
			t.in = rules.Input{Op: rules.RunInstances, Source: t.src.State, Owned: t.src.Owned, SameRegion: true,
				Encrypted: m.Encrypted, KeyGiven: m.KMSKeyID != "", EBD: ebd}
			if vol, ok := vols[inst.InstanceID][m.DeviceName]; ok && t.err == nil {
				t.see(s, aws.ToString(vol.VolumeId), vol.Encrypted, vol.KmsKeyId)
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// fix launches again with the key on the device, quoted for the shell.
func (runInstances) fix(t target, key string) string {
	mapping := fmt.Sprintf("DeviceName=%s,Ebs={Encrypted=true,KmsKeyId=%s}", t.device, key)
	return fmt.Sprintf("launch again from %s with `--block-device-mappings %s` (or set it in the launch template), then terminate %s",
		t.image, shellQuote(mapping), t.parent)
}

// launchedMappings is the merge's base layer: the AMI's mappings; or, when the
// AMI was deregistered since the launch (an audit of old events meets many),
// the devices of the launched volumes, each made from the snapshot it names,
// so that the launch is still judged.
func launchedMappings(s *session, region, imageID string, vols map[string]map[string]ec2types.Volume) (ec2types.Image, []rules.Mapping, error) {
	img, err := s.image(region, imageID)
	if err == nil {
		return *img, amiMappings(img.BlockDeviceMappings), nil
	}
	if !isNotFound(err) || len(vols) == 0 {
		return ec2types.Image{}, nil, fmt.Errorf("launched image: %w", err)
	}
	s.warn("launched image %s is gone (deregistered since the launch): the launched volumes' own snapshots stand for its block device mappings", imageID)
	snapshotOf := map[string]string{}
	for _, byDevice := range vols {
		for device, vol := range byDevice {
			if _, ok := snapshotOf[device]; !ok {
				snapshotOf[device] = aws.ToString(vol.SnapshotId)
			}
		}
	}
	var out []rules.Mapping
	for _, device := range slices.Sorted(maps.Keys(snapshotOf)) {
		out = append(out, rules.Mapping{DeviceName: device, SnapshotID: snapshotOf[device]})
	}
	return ec2types.Image{ImageId: aws.String(imageID)}, out, nil
}

// launchSource describes what a launched volume is made from: nothing (an
// empty volume), or a snapshot seen directly or through the AMI's mapping.
func launchSource(s *session, region string, img ec2types.Image, m rules.Mapping, snaps map[string]ec2types.Snapshot) (source, error) {
	if m.SnapshotID == "" {
		return source{State: rules.EmptySource, Region: region}, nil
	}
	for _, am := range ebsSnapshots(img.BlockDeviceMappings) {
		if aws.ToString(am.Ebs.SnapshotId) == m.SnapshotID {
			return sourceOf(s, region, img, am, snaps), nil
		}
	}
	snap, ok := snaps[m.SnapshotID]
	if !ok {
		return source{SnapshotID: m.SnapshotID, Region: region}, fmt.Errorf("snapshot %s of device %s in %s: %w", m.SnapshotID, m.DeviceName, region, ErrNotFound)
	}
	synthetic := ec2types.BlockDeviceMapping{Ebs: &ec2types.EbsBlockDevice{SnapshotId: snap.SnapshotId}}
	return sourceOf(s, region, img, synthetic, snaps), nil
}

// amiMappings turns an AMI's mappings into the merge's base layer. For a
// mapping from a snapshot the AMI's Encrypted and KmsKeyId describe that
// snapshot, not a request, so they are not carried. A new empty volume's
// mapping may carry its own Encrypted (RegisterImage and CreateImage accept it
// only there, never a KmsKeyId): it is the row's Encrypted unless the template
// or the request sets one (spec/rules.md, RunInstances).
func amiMappings(ms []ec2types.BlockDeviceMapping) []rules.Mapping {
	var out []rules.Mapping
	for _, m := range ms {
		rm := rules.Mapping{DeviceName: aws.ToString(m.DeviceName), VirtualName: aws.ToString(m.VirtualName), NoDevice: m.NoDevice != nil}
		if m.Ebs != nil {
			rm.SnapshotID = aws.ToString(m.Ebs.SnapshotId)
			if rm.SnapshotID == "" {
				rm.Encrypted = rules.FlagOf(m.Ebs.Encrypted)
			}
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

// runInstancesParameters is RunInstances' requestParameters:
//
//	{"instancesSet": {"items": [{"imageId": "ami-0a1", "minCount": "1", "maxCount": 1}]},
//	 "blockDeviceMapping": {"items": [
//	   {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "32", "encrypted": true, "kmsKeyId": "alias/web"}},
//	   {"deviceName": "/dev/sdb", "noDevice": {}},
//	   {"deviceName": "/dev/sdc", "virtualName": "ephemeral0"}]},
//	 "launchTemplate": {"launchTemplateId": "lt-0d4", "version": "$Latest"}}
type runInstancesParameters struct {
	InstancesSet       cloudtrail.Items[instanceItem]       `json:"instancesSet"`
	ImageID            cloudtrail.String                    `json:"imageId"`
	BlockDeviceMapping cloudtrail.Items[blockDeviceMapping] `json:"blockDeviceMapping"`
	LaunchTemplate     *launchTemplateSpec                  `json:"launchTemplate"`
}

type instanceItem struct {
	ImageID    cloudtrail.String         `json:"imageId"`
	InstanceID cloudtrail.String         `json:"instanceId"`
	TagSet     cloudtrail.Items[tagItem] `json:"tagSet"`
}

type tagItem struct {
	Key   cloudtrail.String `json:"key"`
	Value cloudtrail.String `json:"value"`
}

type blockDeviceMapping struct {
	DeviceName  cloudtrail.String `json:"deviceName"`
	VirtualName cloudtrail.String `json:"virtualName"`
	NoDevice    *noDevice         `json:"noDevice"`
	EBS         *ebsDevice        `json:"ebs"`
}

// noDevice is present (usually as {} or "") when the device is suppressed.
type noDevice struct{}

// UnmarshalJSON accepts any value: presence is what matters.
func (*noDevice) UnmarshalJSON([]byte) error { return nil }

type ebsDevice struct {
	SnapshotID cloudtrail.String `json:"snapshotId"`
	Encrypted  cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID   cloudtrail.String `json:"kmsKeyId"`
}

type launchTemplateSpec struct {
	LaunchTemplateID   cloudtrail.String `json:"launchTemplateId"`
	LaunchTemplateName cloudtrail.String `json:"launchTemplateName"`
	Version            cloudtrail.String `json:"version"`
}

// runInstancesResponse is RunInstances' responseElements; only the launched
// instances matter.
type runInstancesResponse struct {
	InstancesSet cloudtrail.Items[instanceItem] `json:"instancesSet"`
}

// launchTemplate names the launch template version the instances came from.
type launchTemplate struct {
	ID      string
	Name    string
	Version string // a number, "$Latest" or "$Default"
	// Concrete is set when Version is the number that was launched: from the
	// instances' aws:ec2launchtemplate:version tag, or a number in the request.
	Concrete bool
}

func (lt launchTemplate) what() string {
	if lt.ID != "" {
		return lt.ID
	}
	return lt.Name
}

// runInstancesRequest is what a RunInstances caller asked for.
type runInstancesRequest struct {
	ImageID        string // empty when only the launch template names the AMI
	Mappings       []rules.Mapping
	LaunchTemplate *launchTemplate
	Instances      []launchedInstance
}

// launchedInstance is one launched instance from the response.
type launchedInstance struct {
	InstanceID string
	ImageID    string
}

// EC2 tags every instance launched from a launch template (by a request, an
// EC2 Fleet or Auto Scaling) with the template and the version it used.
const (
	templateIDTag      = "aws:ec2launchtemplate:id"
	templateVersionTag = "aws:ec2launchtemplate:version"
)

// readRunInstances reads a RunInstances record's request and response.
func readRunInstances(r *cloudtrail.Record) (runInstancesRequest, error) {
	var p runInstancesParameters
	if err := r.Request(&p); err != nil {
		return runInstancesRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp runInstancesResponse
	if err := r.Response(&resp); err != nil {
		return runInstancesRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := runInstancesRequest{ImageID: string(p.ImageID)}
	for _, it := range p.InstancesSet {
		if it.ImageID != "" {
			req.ImageID = string(it.ImageID)
		}
	}
	for _, m := range p.BlockDeviceMapping {
		req.Mappings = append(req.Mappings, m.mapping())
	}
	if lt := p.LaunchTemplate; lt != nil && (lt.LaunchTemplateID != "" || lt.LaunchTemplateName != "") {
		req.LaunchTemplate = &launchTemplate{ID: string(lt.LaunchTemplateID), Name: string(lt.LaunchTemplateName), Version: string(lt.Version)}
	}
	var tagged *launchTemplate
	for _, it := range resp.InstancesSet {
		if it.InstanceID == "" {
			continue
		}
		req.Instances = append(req.Instances, launchedInstance{InstanceID: string(it.InstanceID), ImageID: string(it.ImageID)})
		if tagged == nil {
			tagged = templateFromTags(it.TagSet)
		}
		if req.ImageID == "" {
			// The response names the AMI the instance was launched from, also
			// when only a launch template or a fleet chose it.
			req.ImageID = string(it.ImageID)
		}
	}
	if tagged != nil {
		// What was launched, even when the request named $Latest, $Default or
		// no version: a later version must not change the verdict.
		if tagged.Version == "" && req.LaunchTemplate != nil {
			tagged.Version = req.LaunchTemplate.Version
		}
		req.LaunchTemplate = tagged
	}
	if lt := req.LaunchTemplate; lt != nil {
		if lt.Version == "" {
			lt.Version = "$Default"
		}
		if _, err := strconv.ParseInt(lt.Version, 10, 64); err == nil {
			lt.Concrete = true
		}
	}
	return req, nil
}

func (m blockDeviceMapping) mapping() rules.Mapping {
	out := rules.Mapping{
		DeviceName:  string(m.DeviceName),
		VirtualName: string(m.VirtualName),
		NoDevice:    m.NoDevice != nil,
	}
	if m.EBS != nil {
		out.SnapshotID = string(m.EBS.SnapshotID)
		out.Encrypted = rules.Flag(m.EBS.Encrypted)
		out.KMSKeyID = string(m.EBS.KMSKeyID)
	}
	return out
}

// templateFromTags reads the template an instance was launched from; a
// version tag that is no number is ignored.
func templateFromTags(tags cloudtrail.Items[tagItem]) *launchTemplate {
	var lt launchTemplate
	for _, t := range tags {
		switch t.Key {
		case templateIDTag:
			lt.ID = string(t.Value)
		case templateVersionTag:
			lt.Version = string(t.Value)
		}
	}
	if lt.ID == "" {
		return nil
	}
	if _, err := strconv.ParseInt(lt.Version, 10, 64); err != nil {
		lt.Version = ""
	}
	return &lt
}
