package verify

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Terminal reasons of the VM Import kinds (formats.md §4).
const (
	// ReasonImportFailed prefixes the task's StatusMessage: the task ended
	// deleting, deleted or error.
	ReasonImportFailed = "import-failed:"
	// ReasonImportTaskGone: the task is no longer listed (EC2 lists tasks for
	// 7 days) and no fallback finds the result.
	ReasonImportTaskGone = "import-task-gone"
	// ReasonImportInternal: a CopySnapshot made by the VM Import service role
	// as part of an import, whose record carries the verdict.
	ReasonImportInternal = "import-internal"
)

// VMImportDescriptionPrefix is how VM Import describes the snapshots it
// creates: "Created by AWS-VMImport service for <importTaskId>" (field-used,
// not documented).
const VMImportDescriptionPrefix = "Created by AWS-VMImport service for "

// importSnapshot is the ImportSnapshot kind: one snapshot imported from a
// disk image in S3. The call is asynchronous: the snapshot appears in the
// import task (DescribeImportSnapshotTasks) minutes to hours later, so a
// record is pending while the task is active, and the re-checks follow it.
type importSnapshot struct{}

var _ = engineFor[importSnapshotParameters, importSnapshotResponse](rules.ImportSnapshot, importSnapshot{})

// An import takes minutes to hours: not worth a retry in the same invocation.
func (importSnapshot) quick() bool { return false }

// importSnapshotParameters is ImportSnapshot's requestParameters:
//
//	{"diskContainer": {"format": "VMDK", "userBucket": {"s3Bucket": "b", "s3Key": "disk.vmdk"}},
//	 "encrypted": true, "kmsKeyId": "alias/import", "roleName": "vmimport", "description": "..."}
type importSnapshotParameters struct {
	DiskContainer *diskContainer    `json:"diskContainer"`
	Encrypted     cloudtrail.Flag   `json:"encrypted"`
	KMSKeyID      cloudtrail.String `json:"kmsKeyId"`
}

// diskContainer is one disk image (or, for ImportImage, EBS snapshot) to
// import.
type diskContainer struct {
	Format     cloudtrail.String `json:"format"`
	URL        cloudtrail.String `json:"url"`
	DeviceName cloudtrail.String `json:"deviceName"`
	SnapshotID cloudtrail.String `json:"snapshotId"`
	UserBucket *struct {
		S3Bucket cloudtrail.String `json:"s3Bucket"`
		S3Key    cloudtrail.String `json:"s3Key"`
	} `json:"userBucket"`
}

// option writes the container as the CLI's --disk-container(s) shorthand.
func (d *diskContainer) option() string {
	if d == nil {
		return "<as before>"
	}
	var parts []string
	if d.Format != "" {
		parts = append(parts, "Format="+string(d.Format))
	}
	switch {
	case d.SnapshotID != "":
		parts = append(parts, "SnapshotId="+string(d.SnapshotID))
	case d.URL != "":
		parts = append(parts, "Url="+string(d.URL))
	case d.UserBucket != nil:
		parts = append(parts, fmt.Sprintf("UserBucket={S3Bucket=%s,S3Key=%s}", d.UserBucket.S3Bucket, d.UserBucket.S3Key))
	}
	if d.DeviceName != "" {
		parts = append(parts, "DeviceName="+string(d.DeviceName))
	}
	if len(parts) == 0 {
		return "<as before>"
	}
	return shellQuote(strings.Join(parts, ","))
}

// containersOption writes the containers as the CLI's shorthand, one word
// each.
func containersOption(cs []diskContainer) string {
	if len(cs) == 0 {
		return "<as before>"
	}
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].option()
	}
	return strings.Join(out, " ")
}

// importSnapshotResponse is ImportSnapshot's responseElements:
// {"importTaskId": "import-snap-0a1", "snapshotTaskDetail": {...}}. The
// detail is a hint only.
type importSnapshotResponse struct {
	ImportTaskID cloudtrail.String `json:"importTaskId"`
}

// importSnapshotRequest is what an ImportSnapshot caller asked for.
type importSnapshotRequest struct {
	Encrypted rules.Flag
	KMSKeyID  string
	TaskID    string
	Container *diskContainer
}

func readImportSnapshot(r *cloudtrail.Record) (importSnapshotRequest, error) {
	var p importSnapshotParameters
	if err := r.Request(&p); err != nil {
		return importSnapshotRequest{}, fmt.Errorf("requestParameters: %w", err)
	}
	var resp importSnapshotResponse
	if err := r.Response(&resp); err != nil {
		return importSnapshotRequest{}, fmt.Errorf("responseElements: %w", err)
	}
	req := importSnapshotRequest{Encrypted: rules.Flag(p.Encrypted), KMSKeyID: string(p.KMSKeyID), TaskID: string(resp.ImportTaskID), Container: p.DiskContainer}
	if req.TaskID == "" {
		return req, fmt.Errorf("responseElements has no importTaskId")
	}
	return req, nil
}

// importSnapshotTask describes one import snapshot task, once per event.
func (s *session) importSnapshotTask(region, id string) (importTaskAnswer[ec2types.ImportSnapshotTask], error) {
	return importTask(s, "importsnap", "snapshot", region, id, func(c EC2API) ([]ec2types.ImportSnapshotTask, error) {
		out, err := c.DescribeImportSnapshotTasks(s.ctx, &ec2.DescribeImportSnapshotTasksInput{ImportTaskIds: []string{id}})
		if out == nil {
			return nil, err
		}
		return out.ImportSnapshotTasks, err
	}, func(t ec2types.ImportSnapshotTask) *string { return t.ImportTaskId })
}

// importedSnapshot finds the snapshot VM Import created for a task no longer
// listed, by its description (field-used, not documented); "" when none.
func (s *session) importedSnapshot(region, taskID string) (string, error) {
	return remember(s, "imported/"+s.account+"/"+region+"/"+taskID, perEvent, func() (string, error) {
		c, err := s.ec2(region)
		if err != nil {
			return "", err
		}
		p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []ec2types.Filter{{Name: aws.String("description"), Values: []string{VMImportDescriptionPrefix + taskID}}}})
		for p.HasMorePages() {
			page, err := p.NextPage(s.ctx)
			if err != nil {
				return "", fmt.Errorf("describe snapshots of import task %s in %s: %w", taskID, region, err)
			}
			for _, snap := range page.Snapshots {
				return aws.ToString(snap.SnapshotId), nil
			}
		}
		return "", nil
	})
}

func (importSnapshot) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	req, err := readImportSnapshot(r)
	if err != nil {
		return nil, fmt.Errorf("malformed ImportSnapshot record: %w", err)
	}
	region := s.region
	a, err := s.importSnapshotTask(region, req.TaskID)
	if err != nil {
		return nil, err
	}
	snapID := ""
	switch {
	case !a.Listed:
		// Listed for 7 days only: an older record is found by the
		// description VM Import gives its snapshot, or is gone.
		if snapID, err = s.importedSnapshot(region, req.TaskID); err != nil {
			return nil, err
		}
		if snapID == "" {
			return nil, skip{ReasonImportTaskGone}
		}
	case a.Task.SnapshotTaskDetail != nil:
		d := a.Task.SnapshotTaskDetail
		if sk, failed := importFailed(aws.ToString(d.Status), aws.ToString(d.StatusMessage)); failed {
			return nil, sk
		}
		if strings.EqualFold(aws.ToString(d.Status), "completed") {
			snapID = aws.ToString(d.SnapshotId)
		}
		// active (or any other status): pending, the re-checks follow it.
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	t := target{region: region, parent: snapID, requestKey: req.KMSKeyID,
		src: source{Region: region, State: rules.EmptySource}}
	t.in = rules.Input{Op: rules.ImportSnapshot, Source: rules.EmptySource, SameRegion: true,
		Encrypted: req.Encrypted, KeyGiven: req.KMSKeyID != "", EBD: ebd}
	if req.Container != nil {
		t.containers = []diskContainer{*req.Container}
	}
	if snapID == "" {
		return []target{t}, nil
	}
	snaps, err := s.snapshots(region, []string{snapID})
	if err != nil {
		return nil, err
	}
	snap, visible := snaps[snapID]
	switch {
	case !visible && s.gone():
		return nil, skip{"snapshot-gone"}
	case visible && snap.State == ec2types.SnapshotStateError:
		return nil, skip{ReasonImportFailed + "snapshot " + snapID + " is in state error"}
	case visible:
		t.see(s, snapID, snap.Encrypted, snap.KmsKeyId)
	}
	return []target{t}, nil
}

func (importSnapshot) fix(t target, key string) string {
	return fmt.Sprintf("import again with `aws ec2 import-snapshot --region %s --disk-container %s --encrypted --kms-key-id %s`, then delete %s",
		t.region, containersOption(t.containers), key, orPlaceholder(t.parent, "<the imported snapshot>"))
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// importInternal reports whether a CopySnapshot record is part of a VM
// Import (spec/rules.md, the note below the ImportSnapshot table): made by
// an assumed role (the import's service role, vmimport by default; the
// CopySnapshot record does not say which role the import named), and the
// new snapshot, or the request, described as VM Import describes the
// snapshots it creates.
func importInternal(r *cloudtrail.Record, requestDescription string, copied ec2types.Snapshot) bool {
	if !strings.Contains(r.Principal(), ":assumed-role/") {
		return false
	}
	return strings.HasPrefix(aws.ToString(copied.Description), VMImportDescriptionPrefix) ||
		strings.HasPrefix(requestDescription, VMImportDescriptionPrefix)
}
