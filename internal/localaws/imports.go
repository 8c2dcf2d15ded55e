package localaws

import (
	"encoding/xml"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The VM Import task answers, with EC2's element names: the subset the
// Lambda reads.

var _ = answerEC2("DescribeImportSnapshotTasks", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeImportSnapshotTasksOutput
	if o, err = api.DescribeImportSnapshotTasks(r.Context(), &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: list(form, "ImportTaskId"), Filters: filters(form)}); err == nil {
		out = describeImportSnapshotTasks(o)
	}
	return out, err
})

var _ = answerEC2("DescribeImportImageTasks", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeImportImageTasksOutput
	if o, err = api.DescribeImportImageTasks(r.Context(), &ec2.DescribeImportImageTasksInput{ImportTaskIds: list(form, "ImportTaskId"), Filters: filters(form)}); err == nil {
		out = describeImportImageTasks(o)
	}
	return out, err
})

type describeImportSnapshotTasksResponse struct {
	XMLName xml.Name                `xml:"DescribeImportSnapshotTasksResponse"`
	NS      string                  `xml:"xmlns,attr"`
	Tasks   []xmlImportSnapshotTask `xml:"importSnapshotTaskSet>item"`
}

type xmlImportSnapshotTask struct {
	ImportTaskID string              `xml:"importTaskId"`
	Description  string              `xml:"description,omitempty"`
	Detail       *xmlSnapshotTaskDtl `xml:"snapshotTaskDetail"`
}

type xmlSnapshotTaskDtl struct {
	SnapshotID    string `xml:"snapshotId,omitempty"`
	Status        string `xml:"status,omitempty"`
	StatusMessage string `xml:"statusMessage,omitempty"`
	Encrypted     *bool  `xml:"encrypted"`
	KMSKeyID      string `xml:"kmsKeyId,omitempty"`
}

func describeImportSnapshotTasks(o *ec2.DescribeImportSnapshotTasksOutput) *describeImportSnapshotTasksResponse {
	out := &describeImportSnapshotTasksResponse{NS: ec2NS}
	for _, t := range o.ImportSnapshotTasks {
		x := xmlImportSnapshotTask{ImportTaskID: aws.ToString(t.ImportTaskId), Description: aws.ToString(t.Description)}
		if d := t.SnapshotTaskDetail; d != nil {
			x.Detail = &xmlSnapshotTaskDtl{SnapshotID: aws.ToString(d.SnapshotId), Status: aws.ToString(d.Status),
				StatusMessage: aws.ToString(d.StatusMessage), Encrypted: d.Encrypted, KMSKeyID: aws.ToString(d.KmsKeyId)}
		}
		out.Tasks = append(out.Tasks, x)
	}
	return out
}

type describeImportImageTasksResponse struct {
	XMLName xml.Name             `xml:"DescribeImportImageTasksResponse"`
	NS      string               `xml:"xmlns,attr"`
	Tasks   []xmlImportImageTask `xml:"importImageTaskSet>item"`
}

type xmlImportImageTask struct {
	ImportTaskID  string              `xml:"importTaskId"`
	ImageID       string              `xml:"imageId,omitempty"`
	Status        string              `xml:"status,omitempty"`
	StatusMessage string              `xml:"statusMessage,omitempty"`
	Encrypted     *bool               `xml:"encrypted"`
	KMSKeyID      string              `xml:"kmsKeyId,omitempty"`
	Details       []xmlSnapshotDetail `xml:"snapshotDetailSet>item"`
}

type xmlSnapshotDetail struct {
	DeviceName string `xml:"deviceName,omitempty"`
	SnapshotID string `xml:"snapshotId,omitempty"`
	Status     string `xml:"status,omitempty"`
}

func describeImportImageTasks(o *ec2.DescribeImportImageTasksOutput) *describeImportImageTasksResponse {
	out := &describeImportImageTasksResponse{NS: ec2NS}
	for _, t := range o.ImportImageTasks {
		x := xmlImportImageTask{ImportTaskID: aws.ToString(t.ImportTaskId), ImageID: aws.ToString(t.ImageId), Status: aws.ToString(t.Status),
			StatusMessage: aws.ToString(t.StatusMessage), Encrypted: t.Encrypted, KMSKeyID: aws.ToString(t.KmsKeyId)}
		for _, d := range t.SnapshotDetails {
			x.Details = append(x.Details, xmlSnapshotDetail{DeviceName: aws.ToString(d.DeviceName), SnapshotID: aws.ToString(d.SnapshotId), Status: aws.ToString(d.Status)})
		}
		out.Tasks = append(out.Tasks, x)
	}
	return out
}
