package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// importImage is the ImportImage kind: one AMI imported from disk images in
// S3 or EBS snapshots, one snapshot per disk container. The call is
// asynchronous: the AMI appears in the import task (DescribeImportImageTasks)
// minutes to hours later; the record is pending while the task works.
type importImage struct{}

var _ = engineFor[importImageParameters, importImageResponse](rules.ImportImage, importImage{})

// An import takes minutes to hours: not worth a retry in the same invocation.
func (importImage) quick() bool { return false }

// importImageParameters is ImportImage's requestParameters. CloudTrail may
// write the disk containers as diskContainerSet.items[], diskContainer.items[]
// or a bare list:
//
//	{"diskContainerSet": {"items": [{"format": "VMDK", "userBucket": {...}, "deviceName": "/dev/sda1"},
//	                                {"snapshotId": "snap-0a1"}]},
//	 "encrypted": true, "kmsKeyId": "alias/import", "roleName": "vmimport", "licenseType": "BYOL", ...}
type importImageParameters struct {
	DiskContainerSet containers        `json:"diskContainerSet"`
	DiskContainer    containers        `json:"diskContainer"`
	DiskContainers   containers        `json:"diskContainers"`
	Encrypted        cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID         cloudtrail.String `json:"kmsKeyId"`
}

// containers decodes a list of disk containers in any of CloudTrail's forms:
// {"items": [...]}, {"item": [...]}, a bare list, or one container alone.
type containers []diskContainer

// UnmarshalJSON implements json.Unmarshaler.
func (c *containers) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var list cloudtrail.Items[diskContainer]
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	if len(list) > 0 || len(b) == 0 || b[0] != '{' {
		*c = containers(list)
		return nil
	}
	var wrap map[string]json.RawMessage
	if err := json.Unmarshal(b, &wrap); err != nil {
		return err
	}
	if _, ok := wrap["items"]; ok {
		return nil
	}
	if _, ok := wrap["item"]; ok || len(wrap) == 0 {
		return nil
	}
	var one diskContainer
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*c = containers{one}
	return nil
}

// importImageResponse is ImportImage's responseElements: {"importTaskId":
// "import-ami-0a1", "status": "active", ...}; the rest are hints only.
type importImageResponse struct {
	ImportTaskID cloudtrail.String `json:"importTaskId"`
}

// importImageRequest is what an ImportImage caller asked for.
type importImageRequest struct {
	Containers []diskContainer
	Encrypted  rules.Flag
	KMSKeyID   string
	TaskID     string
}

func readImportImage(r *cloudtrail.Record) (importImageRequest, error) {
	var p importImageParameters
	if err := r.Request(&p); err != nil {
		return importImageRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp importImageResponse
	if err := r.Response(&resp); err != nil {
		return importImageRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := importImageRequest{Encrypted: rules.Flag(p.Encrypted), KMSKeyID: string(p.KMSKeyID), TaskID: string(resp.ImportTaskID)}
	for _, list := range []containers{p.DiskContainerSet, p.DiskContainer, p.DiskContainers} {
		if len(list) > 0 {
			req.Containers = list
			break
		}
	}
	switch {
	case req.TaskID == "":
		return req, fmt.Errorf("responseElements has no importTaskId")
	case len(req.Containers) == 0:
		return req, fmt.Errorf("requestParameters: no disk container")
	}
	return req, nil
}

// importImageTask describes one import image task, once per event.
func (s *session) importImageTask(region, id string) (importTaskAnswer[ec2types.ImportImageTask], error) {
	return importTask(s, "importimage", "image", region, id, func(c EC2API) ([]ec2types.ImportImageTask, error) {
		out, err := c.DescribeImportImageTasks(s.ctx, &ec2.DescribeImportImageTasksInput{ImportTaskIds: []string{id}})
		if out == nil {
			return nil, err
		}
		return out.ImportImageTasks, err
	}, func(t ec2types.ImportImageTask) *string { return t.ImportTaskId })
}

// importedResult is one snapshot of the imported AMI: its device and ID.
type importedResult struct {
	Device     string
	SnapshotID string
}

func (importImage) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readImportImage(r)
	if err != nil {
		return nil, fmt.Errorf("malformed ImportImage record: %w", err)
	}
	region := s.region
	a, err := s.importImageTask(region, req.TaskID)
	if err != nil {
		return nil, err
	}
	if !a.Listed {
		// Listed for 7 days only; no documented or field-used fallback
		// finds an image task's AMI.
		return nil, skip{ReasonImportTaskGone}
	}
	task := a.Task
	if sk, failed := importFailed(aws.ToString(task.Status), aws.ToString(task.StatusMessage)); failed {
		return nil, sk
	}
	devices := taskDevices(req.Containers, task.SnapshotDetails)
	imageID := ""
	var results []importedResult
	if strings.EqualFold(aws.ToString(task.Status), "completed") {
		imageID = aws.ToString(task.ImageId)
		if results, err = importedResults(s, region, imageID, task.SnapshotDetails); err != nil {
			return nil, err
		}
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	var snapIDs []string
	for _, c := range req.Containers {
		snapIDs = append(snapIDs, string(c.SnapshotID))
	}
	for _, res := range results {
		snapIDs = append(snapIDs, res.SnapshotID)
	}
	snaps, err := s.snapshots(region, snapIDs)
	if err != nil {
		return nil, err
	}
	base := func(c *diskContainer, device string) target {
		t := target{region: region, parent: imageID, device: device, requestKey: req.KMSKeyID, containers: req.Containers, image: imageID,
			src: containerSource(s, region, c, snaps)}
		t.in = rules.Input{Op: rules.ImportImage, Source: t.src.State, Owned: t.src.Owned, SameRegion: true,
			Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd, SourceKeyUnknown: t.src.keyUnknown}
		if imageID != "" {
			t.from = ", imported by " + req.TaskID
		}
		return t
	}
	var out []target
	if imageID == "" {
		// Still converting: one result per container, not visible yet.
		for i := range req.Containers {
			out = append(out, base(&req.Containers[i], devices[i]))
		}
		return out, nil
	}
	for i, res := range results {
		t := base(containerOf(req.Containers, devices, res.Device, i, len(results)), res.Device)
		if snap, ok := snaps[res.SnapshotID]; ok {
			t.see(s, res.SnapshotID, snap.Encrypted, snap.KmsKeyId)
		} else if s.gone() {
			t.resource = res.SnapshotID
			t.err = fmt.Errorf("snapshot %s of %s in %s: %w", res.SnapshotID, imageID, region, ErrNotFound)
		}
		out = append(out, t)
	}
	return out, nil
}

// importedResults lists the snapshots of the imported AMI, one per EBS
// mapping; when the AMI is no longer listed, the task's SnapshotDetails say
// them, matched by DeviceName; with neither, the AMI is gone.
func importedResults(s *session, region, imageID string, details []ec2types.SnapshotDetail) ([]importedResult, error) {
	if imageID == "" {
		// An answer without the field it documents for a completed task:
		// AWS answered, but not with what the lookup needs.
		return nil, &Error{Class: ClassLookupFailed, Op: "describe import image task in " + region, Err: errors.New("the completed import task names no ImageId")}
	}
	img, err := s.image(region, imageID)
	switch {
	case err == nil && img.State == ec2types.ImageStateDeregistered:
		return nil, skip{"image-gone"}
	case err == nil:
		var out []importedResult
		for _, m := range ebsSnapshots(img.BlockDeviceMappings) {
			out = append(out, importedResult{Device: aws.ToString(m.DeviceName), SnapshotID: aws.ToString(m.Ebs.SnapshotId)})
		}
		return out, nil
	case !isNotFound(err):
		return nil, err
	}
	var out []importedResult
	for _, d := range details {
		if id := aws.ToString(d.SnapshotId); id != "" {
			out = append(out, importedResult{Device: aws.ToString(d.DeviceName), SnapshotID: id})
		}
	}
	if len(out) == 0 {
		return nil, skip{"image-gone"}
	}
	snaps, err := s.snapshots(region, snapshotIDsOf(out))
	if err != nil {
		return nil, err
	}
	if len(snaps) == 0 {
		return nil, skip{"image-gone"} // deregistered, its snapshots deleted
	}
	return out, nil
}

func snapshotIDsOf(rs []importedResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.SnapshotID
	}
	return out
}

// taskDevices names the device of each container: its own deviceName, else
// the task's SnapshotDetails in request order (inferred: one detail per
// container).
func taskDevices(cs []diskContainer, details []ec2types.SnapshotDetail) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		switch {
		case c.DeviceName != "":
			out[i] = string(c.DeviceName)
		case i < len(details):
			out[i] = aws.ToString(details[i].DeviceName)
		}
	}
	return out
}

// containerOf finds the container the i-th of n results (device) comes
// from: the container of that device; else, with as many containers as
// results, the i-th (request order); else none (read as a disk image).
func containerOf(cs []diskContainer, devices []string, device string, i, n int) *diskContainer {
	for j := range cs {
		if devices[j] != "" && devices[j] == device {
			return &cs[j]
		}
	}
	if len(cs) == n && i < len(cs) {
		return &cs[i]
	}
	return nil
}

// containerSource describes a container: a disk image (EmptySource), or an
// EBS snapshot described in the Region of the call. A snapshot that cannot be
// described is taken as encrypted with an unknown key: DEF and aws/ebs are
// accepted, and no key is intended.
func containerSource(s *session, region string, c *diskContainer, snaps map[string]ec2types.Snapshot) source {
	if c == nil || c.SnapshotID == "" {
		return source{Region: region, State: rules.EmptySource}
	}
	id := string(c.SnapshotID)
	if snap, ok := snaps[id]; ok {
		return snapshotSource(s, region, snap)
	}
	return source{SnapshotID: id, Region: region, State: rules.EncryptedSource, keyUnknown: true}
}

func (importImage) fix(t target, key string) string {
	what := t.parent
	if what == "" {
		what = "<the imported AMI>"
	}
	return fmt.Sprintf("import again with `aws ec2 import-image --region %s --disk-containers %s --encrypted --kms-key-id %s`, then deregister %s and delete its snapshots",
		t.region, containersOption(t.containers), key, what)
}
