package localaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

// serveEC2 answers the EC2 Query calls the Lambda makes.
func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, c caller, action string) {
	wld, f := s.take(action)
	if fault(w, f, func(status int, code, msg string) {
		switch code {
		case "":
			code = "RequestLimitExceeded"
		case deniedCode:
			code = "UnauthorizedOperation" // EC2's code for a denied call
		}
		ec2Error(w, status, code, msg)
	}) {
		return
	}
	api := wld.EC2View(c.account, c.region)
	form := r.PostForm
	var out any
	var err error
	if answer, ok := ec2Actions[action]; ok {
		out, err = answer(r, api, form)
	} else {
		err = fmt.Errorf("%w: %s", errUnsupported, action)
	}
	if err != nil {
		if ae, ok := err.(smithy.APIError); ok {
			ec2Error(w, http.StatusBadRequest, ae.ErrorCode(), ae.ErrorMessage())
			return
		}
		ec2Error(w, http.StatusBadRequest, "InvalidAction", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(out)
}

// ec2Action answers one EC2 Query action from an account's view of a
// Region: the typed output in EC2's wire form.
type ec2Action func(r *http.Request, api *world.EC2, form url.Values) (any, error)

// ec2Actions are the EC2 actions localaws answers, each declared with
// answerEC2 beside its wire form: a new read is one declaration in a file of
// its own.
var ec2Actions = map[string]ec2Action{}

func answerEC2(action string, f ec2Action) bool {
	ec2Actions[action] = f
	return true
}

var _ = answerEC2("DescribeImages", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeImagesOutput
	if o, err = api.DescribeImages(r.Context(), &ec2.DescribeImagesInput{ImageIds: list(form, "ImageId"), Filters: filters(form)}); err == nil {
		out = describeImages(o)
	}
	return out, err
})

var _ = answerEC2("DescribeSnapshots", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeSnapshotsOutput
	if o, err = api.DescribeSnapshots(r.Context(), &ec2.DescribeSnapshotsInput{SnapshotIds: list(form, "SnapshotId"), Filters: filters(form)}); err == nil {
		out = describeSnapshots(o)
	}
	return out, err
})

var _ = answerEC2("DescribeVolumes", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.DescribeVolumesOutput
	if o, err = api.DescribeVolumes(r.Context(), &ec2.DescribeVolumesInput{VolumeIds: list(form, "VolumeId"), Filters: filters(form)}); err == nil {
		out = describeVolumes(o)
	}
	return out, err
})

var _ = answerEC2("DescribeLaunchTemplateVersions", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: list(form, "LaunchTemplateVersion"), Filters: filters(form)}
	if v := form.Get("LaunchTemplateId"); v != "" {
		in.LaunchTemplateId = aws.String(v)
	}
	if v := form.Get("LaunchTemplateName"); v != "" {
		in.LaunchTemplateName = aws.String(v)
	}
	var o *ec2.DescribeLaunchTemplateVersionsOutput
	if o, err = api.DescribeLaunchTemplateVersions(r.Context(), in); err == nil {
		out = describeLaunchTemplateVersions(o)
	}
	return out, err
})

var _ = answerEC2("DescribeRegions", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	in := &ec2.DescribeRegionsInput{RegionNames: list(form, "RegionName"), Filters: filters(form)}
	var o *ec2.DescribeRegionsOutput
	if o, err = api.DescribeRegions(r.Context(), in); err == nil {
		out = describeRegions(o)
	}
	return out, err
})

var _ = answerEC2("GetEbsEncryptionByDefault", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.GetEbsEncryptionByDefaultOutput
	if o, err = api.GetEbsEncryptionByDefault(r.Context(), &ec2.GetEbsEncryptionByDefaultInput{}); err == nil {
		out = &getEbsEncryptionByDefault{EBSEncryptionByDefault: aws.ToBool(o.EbsEncryptionByDefault)}
	}
	return out, err
})

var _ = answerEC2("GetEbsDefaultKmsKeyId", func(r *http.Request, api *world.EC2, form url.Values) (out any, err error) {
	var o *ec2.GetEbsDefaultKmsKeyIdOutput
	if o, err = api.GetEbsDefaultKmsKeyId(r.Context(), &ec2.GetEbsDefaultKmsKeyIdInput{}); err == nil {
		out = &getEbsDefaultKmsKeyID{KMSKeyID: aws.ToString(o.KmsKeyId)}
	}
	return out, err
})

// list reads a flattened Query list: Name.1, Name.2, ...
func list(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func filters(form url.Values) []ec2types.Filter {
	var out []ec2types.Filter
	for i := 1; ; i++ {
		prefix := "Filter." + strconv.Itoa(i)
		name := form.Get(prefix + ".Name")
		if name == "" {
			return out
		}
		out = append(out, ec2types.Filter{Name: aws.String(name), Values: list(form, prefix+".Value")})
	}
}

type ec2ErrorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

// ec2Error answers like EC2: a 4xx for client errors (not-found is never
// retried by the SDK), 5xx or 503 for server trouble and throttling.
func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(ec2ErrorResponse{Code: code, Message: msg, RequestID: "00000000-0000-4000-8000-000000000000"})
}

// The XML shapes below are the subset of EC2's answers the Lambda reads,
// with EC2's element names.

type describeImagesResponse struct {
	XMLName xml.Name   `xml:"DescribeImagesResponse"`
	NS      string     `xml:"xmlns,attr"`
	Images  []xmlImage `xml:"imagesSet>item"`
}

type xmlImage struct {
	ImageID        string       `xml:"imageId"`
	OwnerID        string       `xml:"imageOwnerId,omitempty"`
	State          string       `xml:"imageState,omitempty"`
	RootDeviceName string       `xml:"rootDeviceName,omitempty"`
	Mappings       []xmlMapping `xml:"blockDeviceMapping>item"`
}

type xmlMapping struct {
	DeviceName  string  `xml:"deviceName,omitempty"`
	VirtualName string  `xml:"virtualName,omitempty"`
	NoDevice    *string `xml:"noDevice"`
	EBS         *xmlEBS `xml:"ebs"`
}

type xmlEBS struct {
	SnapshotID          string `xml:"snapshotId,omitempty"`
	VolumeSize          *int32 `xml:"volumeSize"`
	DeleteOnTermination *bool  `xml:"deleteOnTermination"`
	Encrypted           *bool  `xml:"encrypted"`
	KMSKeyID            string `xml:"kmsKeyId,omitempty"`
}

// ebsOf is the ebs element of an AMI's or a launch template's mapping.
func ebsOf(snapshotID *string, size *int32, deleteOnTermination, encrypted *bool, kmsKeyID *string) *xmlEBS {
	return &xmlEBS{SnapshotID: aws.ToString(snapshotID), VolumeSize: size, DeleteOnTermination: deleteOnTermination, Encrypted: encrypted, KMSKeyID: aws.ToString(kmsKeyID)}
}

func describeImages(o *ec2.DescribeImagesOutput) *describeImagesResponse {
	out := &describeImagesResponse{NS: ec2NS}
	for _, img := range o.Images {
		x := xmlImage{ImageID: aws.ToString(img.ImageId), OwnerID: aws.ToString(img.OwnerId), State: string(img.State), RootDeviceName: aws.ToString(img.RootDeviceName)}
		for _, m := range img.BlockDeviceMappings {
			xm := xmlMapping{DeviceName: aws.ToString(m.DeviceName), VirtualName: aws.ToString(m.VirtualName), NoDevice: m.NoDevice}
			if e := m.Ebs; e != nil {
				xm.EBS = ebsOf(e.SnapshotId, e.VolumeSize, e.DeleteOnTermination, e.Encrypted, e.KmsKeyId)
			}
			x.Mappings = append(x.Mappings, xm)
		}
		out.Images = append(out.Images, x)
	}
	return out
}

type describeSnapshotsResponse struct {
	XMLName   xml.Name      `xml:"DescribeSnapshotsResponse"`
	NS        string        `xml:"xmlns,attr"`
	Snapshots []xmlSnapshot `xml:"snapshotSet>item"`
}

type xmlSnapshot struct {
	SnapshotID string `xml:"snapshotId"`
	OwnerID    string `xml:"ownerId,omitempty"`
	State      string `xml:"status,omitempty"`
	Encrypted  *bool  `xml:"encrypted"`
	KMSKeyID   string `xml:"kmsKeyId,omitempty"`
	VolumeSize *int32 `xml:"volumeSize"`
	// Associated are the snapshot's associated KMS keys (AssociateKmsKeyId).
	Associated []xmlAssociatedKey `xml:"associatedKmsKeySet>item"`
	// Description is read by the ImportSnapshot fallback's filter.
	Description string `xml:"description,omitempty"`
}

type xmlAssociatedKey struct {
	KMSKeyID string `xml:"kmsKeyId"`
}

func describeSnapshots(o *ec2.DescribeSnapshotsOutput) *describeSnapshotsResponse {
	out := &describeSnapshotsResponse{NS: ec2NS}
	for _, s := range o.Snapshots {
		x := xmlSnapshot{SnapshotID: aws.ToString(s.SnapshotId), OwnerID: aws.ToString(s.OwnerId),
			State: string(s.State), Encrypted: s.Encrypted, KMSKeyID: aws.ToString(s.KmsKeyId), VolumeSize: s.VolumeSize, Description: aws.ToString(s.Description)}
		for _, k := range s.AssociatedKmsKeys {
			x.Associated = append(x.Associated, xmlAssociatedKey{KMSKeyID: aws.ToString(k.KmsKeyId)})
		}
		out.Snapshots = append(out.Snapshots, x)
	}
	return out
}

type describeVolumesResponse struct {
	XMLName xml.Name    `xml:"DescribeVolumesResponse"`
	NS      string      `xml:"xmlns,attr"`
	Volumes []xmlVolume `xml:"volumeSet>item"`
}

type xmlVolume struct {
	VolumeID    string          `xml:"volumeId"`
	SnapshotID  string          `xml:"snapshotId,omitempty"`
	State       string          `xml:"status,omitempty"`
	Encrypted   *bool           `xml:"encrypted"`
	KMSKeyID    string          `xml:"kmsKeyId,omitempty"`
	Size        *int32          `xml:"size"`
	Attachments []xmlAttachment `xml:"attachmentSet>item"`
	// OwnerID, VolumeARN and SourceVolumeID tell CopyVolumes' owned from
	// shared sources, and a copy's source.
	OwnerID        string `xml:"ownerId,omitempty"`
	VolumeARN      string `xml:"volumeArn,omitempty"`
	SourceVolumeID string `xml:"sourceVolumeId,omitempty"`
}

type xmlAttachment struct {
	InstanceID string `xml:"instanceId"`
	Device     string `xml:"device"`
	VolumeID   string `xml:"volumeId,omitempty"`
	State      string `xml:"status,omitempty"`
}

func describeVolumes(o *ec2.DescribeVolumesOutput) *describeVolumesResponse {
	out := &describeVolumesResponse{NS: ec2NS}
	for _, v := range o.Volumes {
		x := xmlVolume{VolumeID: aws.ToString(v.VolumeId), SnapshotID: aws.ToString(v.SnapshotId), State: string(v.State),
			Encrypted: v.Encrypted, KMSKeyID: aws.ToString(v.KmsKeyId), Size: v.Size,
			OwnerID: aws.ToString(v.OwnerId), VolumeARN: aws.ToString(v.VolumeArn), SourceVolumeID: aws.ToString(v.SourceVolumeId)}
		for _, a := range v.Attachments {
			x.Attachments = append(x.Attachments, xmlAttachment{InstanceID: aws.ToString(a.InstanceId), Device: aws.ToString(a.Device),
				VolumeID: aws.ToString(v.VolumeId), State: string(a.State)})
		}
		out.Volumes = append(out.Volumes, x)
	}
	return out
}

type describeLaunchTemplateVersionsResponse struct {
	XMLName  xml.Name             `xml:"DescribeLaunchTemplateVersionsResponse"`
	NS       string               `xml:"xmlns,attr"`
	Versions []xmlTemplateVersion `xml:"launchTemplateVersionSet>item"`
}

type xmlTemplateVersion struct {
	ID             string           `xml:"launchTemplateId"`
	Name           string           `xml:"launchTemplateName"`
	VersionNumber  *int64           `xml:"versionNumber"`
	DefaultVersion *bool            `xml:"defaultVersion"`
	Data           *xmlTemplateData `xml:"launchTemplateData"`
}

type xmlTemplateData struct {
	ImageID  string       `xml:"imageId,omitempty"`
	Mappings []xmlMapping `xml:"blockDeviceMappingSet>item"`
}

func describeLaunchTemplateVersions(o *ec2.DescribeLaunchTemplateVersionsOutput) *describeLaunchTemplateVersionsResponse {
	out := &describeLaunchTemplateVersionsResponse{NS: ec2NS}
	for _, v := range o.LaunchTemplateVersions {
		x := xmlTemplateVersion{ID: aws.ToString(v.LaunchTemplateId), Name: aws.ToString(v.LaunchTemplateName), VersionNumber: v.VersionNumber, DefaultVersion: v.DefaultVersion}
		if d := v.LaunchTemplateData; d != nil {
			x.Data = &xmlTemplateData{ImageID: aws.ToString(d.ImageId)}
			for _, m := range d.BlockDeviceMappings {
				xm := xmlMapping{DeviceName: aws.ToString(m.DeviceName), VirtualName: aws.ToString(m.VirtualName), NoDevice: m.NoDevice}
				if e := m.Ebs; e != nil {
					xm.EBS = ebsOf(e.SnapshotId, e.VolumeSize, e.DeleteOnTermination, e.Encrypted, e.KmsKeyId)
				}
				x.Data.Mappings = append(x.Data.Mappings, xm)
			}
		}
		out.Versions = append(out.Versions, x)
	}
	return out
}

type getEbsEncryptionByDefault struct {
	XMLName                xml.Name `xml:"GetEbsEncryptionByDefaultResponse"`
	EBSEncryptionByDefault bool     `xml:"ebsEncryptionByDefault"`
}

type getEbsDefaultKmsKeyID struct {
	XMLName  xml.Name `xml:"GetEbsDefaultKmsKeyIdResponse"`
	KMSKeyID string   `xml:"kmsKeyId"`
}

type describeRegionsResponse struct {
	XMLName xml.Name    `xml:"DescribeRegionsResponse"`
	NS      string      `xml:"xmlns,attr"`
	Regions []xmlRegion `xml:"regionInfo>item"`
}

type xmlRegion struct {
	Name        string `xml:"regionName"`
	Endpoint    string `xml:"regionEndpoint"`
	OptInStatus string `xml:"optInStatus"`
}

func describeRegions(o *ec2.DescribeRegionsOutput) *describeRegionsResponse {
	out := &describeRegionsResponse{NS: ec2NS}
	for _, r := range o.Regions {
		out.Regions = append(out.Regions, xmlRegion{Name: aws.ToString(r.RegionName), Endpoint: aws.ToString(r.Endpoint), OptInStatus: aws.ToString(r.OptInStatus)})
	}
	return out
}
