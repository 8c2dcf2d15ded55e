package localaws

import (
	"encoding/xml"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The reads of root-volume replacements (CreateReplaceRootVolumeTask) in
// EC2's Query wire form.

var _ = answerEC2("DescribeReplaceRootVolumeTasks", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeReplaceRootVolumeTasksOutput
	if o, err = api.DescribeReplaceRootVolumeTasks(r.Context(), &ec2.DescribeReplaceRootVolumeTasksInput{
		ReplaceRootVolumeTaskIds: list(form, "ReplaceRootVolumeTaskId"), Filters: filters(form)}); err == nil {
		resp := &describeReplaceRootVolumeTasksResponse{NS: ec2NS}
		for _, t := range o.ReplaceRootVolumeTasks {
			resp.Tasks = append(resp.Tasks, xmlReplaceRootTask{ID: aws.ToString(t.ReplaceRootVolumeTaskId), InstanceID: aws.ToString(t.InstanceId),
				TaskState: string(t.TaskState), StartTime: aws.ToString(t.StartTime), SnapshotID: aws.ToString(t.SnapshotId), ImageID: aws.ToString(t.ImageId)})
		}
		out = resp
	}
	return out, err
})

var _ = answerEC2("DescribeInstances", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeInstancesOutput
	if o, err = api.DescribeInstances(r.Context(), &ec2.DescribeInstancesInput{InstanceIds: list(form, "InstanceId"), Filters: filters(form)}); err == nil {
		resp := &describeInstancesResponse{NS: ec2NS}
		for _, res := range o.Reservations {
			var xr xmlReservation
			for _, inst := range res.Instances {
				xi := xmlInstance{InstanceID: aws.ToString(inst.InstanceId), ImageID: aws.ToString(inst.ImageId), RootDeviceName: aws.ToString(inst.RootDeviceName)}
				for _, m := range inst.BlockDeviceMappings {
					xm := xmlInstanceMapping{DeviceName: aws.ToString(m.DeviceName)}
					if m.Ebs != nil {
						xm.EBS = &xmlInstanceEBS{VolumeID: aws.ToString(m.Ebs.VolumeId)}
					}
					xi.Mappings = append(xi.Mappings, xm)
				}
				xr.Instances = append(xr.Instances, xi)
			}
			resp.Reservations = append(resp.Reservations, xr)
		}
		out = resp
	}
	return out, err
})

type describeReplaceRootVolumeTasksResponse struct {
	XMLName xml.Name             `xml:"DescribeReplaceRootVolumeTasksResponse"`
	NS      string               `xml:"xmlns,attr"`
	Tasks   []xmlReplaceRootTask `xml:"replaceRootVolumeTaskSet>item"`
}

type xmlReplaceRootTask struct {
	ID         string `xml:"replaceRootVolumeTaskId"`
	InstanceID string `xml:"instanceId"`
	TaskState  string `xml:"taskState"`
	StartTime  string `xml:"startTime,omitempty"`
	SnapshotID string `xml:"snapshotId,omitempty"`
	ImageID    string `xml:"imageId,omitempty"`
}

type describeInstancesResponse struct {
	XMLName      xml.Name         `xml:"DescribeInstancesResponse"`
	NS           string           `xml:"xmlns,attr"`
	Reservations []xmlReservation `xml:"reservationSet>item"`
}

type xmlReservation struct {
	Instances []xmlInstance `xml:"instancesSet>item"`
}

type xmlInstance struct {
	InstanceID     string               `xml:"instanceId"`
	ImageID        string               `xml:"imageId,omitempty"`
	RootDeviceName string               `xml:"rootDeviceName,omitempty"`
	Mappings       []xmlInstanceMapping `xml:"blockDeviceMapping>item"`
}

type xmlInstanceMapping struct {
	DeviceName string          `xml:"deviceName"`
	EBS        *xmlInstanceEBS `xml:"ebs"`
}

type xmlInstanceEBS struct {
	VolumeID string `xml:"volumeId"`
}
