package cloudtrail

import (
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// runInstancesParameters is RunInstances' requestParameters:
//
//	{"instancesSet": {"items": [{"imageId": "ami-0a1", "minCount": "1", "maxCount": 1}]},
//	 "blockDeviceMapping": {"items": [
//	   {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "32", "encrypted": true, "kmsKeyId": "alias/web"}},
//	   {"deviceName": "/dev/sdb", "noDevice": {}},
//	   {"deviceName": "/dev/sdc", "virtualName": "ephemeral0"}]},
//	 "launchTemplate": {"launchTemplateId": "lt-0d4", "version": "$Latest"}}
type runInstancesParameters struct {
	InstancesSet       Items[instanceItem]       `json:"instancesSet"`
	ImageID            String                    `json:"imageId"`
	BlockDeviceMapping Items[blockDeviceMapping] `json:"blockDeviceMapping"`
	LaunchTemplate     *launchTemplateSpec       `json:"launchTemplate"`
}

type instanceItem struct {
	ImageID    String         `json:"imageId"`
	InstanceID String         `json:"instanceId"`
	MinCount   String         `json:"minCount"`
	MaxCount   String         `json:"maxCount"`
	TagSet     Items[tagItem] `json:"tagSet"`
}

type tagItem struct {
	Key   String `json:"key"`
	Value String `json:"value"`
}

type blockDeviceMapping struct {
	DeviceName  String     `json:"deviceName"`
	VirtualName String     `json:"virtualName"`
	NoDevice    *noDevice  `json:"noDevice"`
	EBS         *ebsDevice `json:"ebs"`
}

// noDevice is present (usually as {} or "") when the device is suppressed.
type noDevice struct{}

// UnmarshalJSON accepts any value: presence is what matters.
func (*noDevice) UnmarshalJSON([]byte) error { return nil }

type ebsDevice struct {
	SnapshotID String `json:"snapshotId"`
	Encrypted  Flag   `json:"encrypted"`
	KMSKeyID   String `json:"kmsKeyId"`
	VolumeSize String `json:"volumeSize"`
	VolumeType String `json:"volumeType"`
}

type launchTemplateSpec struct {
	LaunchTemplateID   String `json:"launchTemplateId"`
	LaunchTemplateName String `json:"launchTemplateName"`
	Version            String `json:"version"`
}

// runInstancesResponse is RunInstances' responseElements; only the launched
// instances matter.
type runInstancesResponse struct {
	InstancesSet Items[instanceItem] `json:"instancesSet"`
}

// LaunchTemplate names a launch template and version ("$Default" when the
// request names none).
type LaunchTemplate struct {
	ID      string
	Name    string
	Version string
}

// RunInstancesRequest is what a RunInstances caller asked for.
type RunInstancesRequest struct {
	ImageID        string // empty when only the launch template names the AMI
	Mappings       []rules.Mapping
	LaunchTemplate *LaunchTemplate
	// FromTags is set when the template comes from the launched instances'
	// aws:ec2launchtemplate:* tags (EC2 Fleet, Auto Scaling).
	FromTags  bool
	Instances []Instance
}

// Instance is one launched instance from the response.
type Instance struct {
	InstanceID string
	ImageID    string
}

// Fleet and Auto Scaling launches record the template only as these tags.
const (
	templateIDTag      = "aws:ec2launchtemplate:id"
	templateVersionTag = "aws:ec2launchtemplate:version"
)

// RunInstances reads a RunInstances record's request and response.
func RunInstances(r *Record) (RunInstancesRequest, error) {
	var p runInstancesParameters
	if err := unmarshalOptional(r.RequestParameters, &p); err != nil {
		return RunInstancesRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp runInstancesResponse
	if err := unmarshalOptional(r.ResponseElements, &resp); err != nil {
		return RunInstancesRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := RunInstancesRequest{ImageID: string(p.ImageID)}
	for _, it := range p.InstancesSet {
		if it.ImageID != "" {
			req.ImageID = string(it.ImageID)
		}
	}
	for _, m := range p.BlockDeviceMapping {
		req.Mappings = append(req.Mappings, m.mapping())
	}
	if lt := p.LaunchTemplate; lt != nil && (lt.LaunchTemplateID != "" || lt.LaunchTemplateName != "") {
		req.LaunchTemplate = &LaunchTemplate{ID: string(lt.LaunchTemplateID), Name: string(lt.LaunchTemplateName), Version: string(lt.Version)}
	}
	for _, it := range resp.InstancesSet {
		if it.InstanceID == "" {
			continue
		}
		req.Instances = append(req.Instances, Instance{InstanceID: string(it.InstanceID), ImageID: string(it.ImageID)})
		if req.LaunchTemplate == nil {
			req.LaunchTemplate = templateFromTags(it.TagSet)
			req.FromTags = req.LaunchTemplate != nil
		}
		if req.ImageID == "" {
			// The response names the AMI the instance was launched from, also
			// when only a launch template or a fleet chose it.
			req.ImageID = string(it.ImageID)
		}
	}
	if req.LaunchTemplate != nil && req.LaunchTemplate.Version == "" {
		req.LaunchTemplate.Version = "$Default"
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

func templateFromTags(tags Items[tagItem]) *LaunchTemplate {
	var lt LaunchTemplate
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
	return &lt
}
