package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// replaceRoot is the CreateReplaceRootVolumeTask kind: the one replacement
// root volume of an instance, restored from its launch state, a snapshot or
// an AMI's root snapshot. ORIG, the original root's key, is read at first
// sight while the task has not succeeded and carried in re-check messages.
type replaceRoot struct{}

var _ = engineFor[replaceRootParameters, replaceRootResponse](rules.CreateReplaceRootVolumeTask, replaceRoot{})

func (replaceRoot) quick() bool { return false }

// origMemoKey keeps, in an event's memo, the original root volume a root
// replacement read before the swap (settings_at.go carries it on).
const origMemoKey = "orig-root"

// Reasons of the kind.
const (
	ReasonNoNewVolume   = "no-new-volume"
	ReasonReplaceFailed = "replace-failed"
)

// replaceRootParameters is the request. No full public record exists: the
// request is wrapped, CreateReplaceRootVolumeTaskRequest.{InstanceId, ...} in
// PascalCase, or flat in camelCase (encoding/json matches either case).
type replaceRootParameters struct {
	Wrapped *replaceRootFields `json:"CreateReplaceRootVolumeTaskRequest"`
	replaceRootFields
}

type replaceRootFields struct {
	InstanceID cloudtrail.String `json:"instanceId"`
	SnapshotID cloudtrail.String `json:"snapshotId"`
	ImageID    cloudtrail.String `json:"imageId"`
	VolumeID   cloudtrail.String `json:"volumeId"`
}

// replaceRootResponse is the response: the task, wrapped in
// CreateReplaceRootVolumeTaskResponse or not, and its ID inside the
// replaceRootVolumeTask member or flat beside it.
type replaceRootResponse struct {
	Wrapped *replaceRootTaskHolder `json:"CreateReplaceRootVolumeTaskResponse"`
	replaceRootTaskHolder
}

type replaceRootTaskHolder struct {
	Task *replaceRootTaskID `json:"replaceRootVolumeTask"`
	replaceRootTaskID
}

type replaceRootTaskID struct {
	TaskID cloudtrail.String `json:"replaceRootVolumeTaskId"`
}

// taskID is the first task ID of the forms the response may take.
func (r replaceRootResponse) taskID() string {
	for _, h := range []*replaceRootTaskHolder{r.Wrapped, &r.replaceRootTaskHolder} {
		if h == nil {
			continue
		}
		if h.Task != nil && h.Task.TaskID != "" {
			return string(h.Task.TaskID)
		}
		if h.TaskID != "" {
			return string(h.TaskID)
		}
	}
	return ""
}

func (replaceRoot) targets(s *session, r *cloudtrail.Record) ([]target, error) {
	var p replaceRootParameters
	if err := r.Request(&p); err != nil {
		return nil, fmt.Errorf("malformed CreateReplaceRootVolumeTask record: requestParameters: %w", err)
	}
	req := p.replaceRootFields
	if p.Wrapped != nil && p.Wrapped.InstanceID != "" {
		req = *p.Wrapped
	}
	if req.InstanceID == "" {
		return nil, fmt.Errorf("malformed CreateReplaceRootVolumeTask record: no InstanceId in the request")
	}
	if req.VolumeID != "" {
		return nil, skip{ReasonNoNewVolume}
	}
	region, instanceID := s.region, string(req.InstanceID)
	// The task ID only narrows the lookup (the instance's tasks are read
	// without it): a response in another shape is not an error.
	var resp replaceRootResponse
	taskID := ""
	if r.Response(&resp) == nil {
		taskID = resp.taskID()
	}
	api, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	task, err := s.replaceRootTask(api, region, taskID, instanceID)
	if err != nil {
		return nil, err
	}
	state := ec2types.ReplaceRootVolumeTaskStatePending
	if task != nil {
		state = task.TaskState
	}
	switch state {
	case ec2types.ReplaceRootVolumeTaskStateFailing, ec2types.ReplaceRootVolumeTaskStateFailed,
		"failing-detached", ec2types.ReplaceRootVolumeTaskStateFailedDetached:
		return nil, skip{ReasonReplaceFailed}
	}
	inst, err := s.instance(api, region, instanceID)
	if err != nil {
		return nil, err
	}
	device := aws.ToString(inst.RootDeviceName)
	t := target{region: region, parent: instanceID, device: device, from: ", the replacement root of " + instanceID}
	// The source: a snapshot, an AMI's root snapshot, or the launch state.
	restore := rules.FromLaunchState
	snapID := string(req.SnapshotID)
	var img *ec2types.Image
	if imageID := string(req.ImageID); imageID != "" {
		restore = rules.FromSource
		t.image = imageID
		if img, err = s.image(region, imageID); err != nil {
			t.err = fmt.Errorf("image %s: %w", imageID, err)
			return []target{t}, nil
		}
		snapID = rootSnapshot(*img)
	} else if snapID != "" {
		restore = rules.FromSource
	}
	t.src = source{SnapshotID: snapID, Region: region, State: rules.EmptySource}
	if snapID != "" {
		snaps, err := s.snapshots(region, []string{snapID})
		if err != nil {
			return nil, err
		}
		switch snap, ok := snaps[snapID]; {
		case ok:
			t.src = snapshotSource(s, region, snap)
		case img != nil:
			for _, m := range ebsSnapshots(img.BlockDeviceMappings) {
				if aws.ToString(m.Ebs.SnapshotId) == snapID {
					t.src = sourceOf(s, region, *img, m, snaps)
				}
			}
		default:
			t.err = fmt.Errorf("snapshot %s in %s: %w", snapID, region, ErrNotFound)
			return []target{t}, nil
		}
	}
	root := rootVolumeID(inst)
	succeeded := state == ec2types.ReplaceRootVolumeTaskStateSucceeded
	// ORIG: carried from the first look, or read now while the swap has not
	// happened (the instance's root is still the original).
	orig, origKnown := rules.State{}, false
	if c := s.carried; c != nil && c.OrigEncrypted != nil {
		orig, origKnown = rules.State{Encrypted: *c.OrigEncrypted, KMSKeyARN: c.OrigKeyARN}, true
	} else if !succeeded && root != "" {
		vol, err := s.volume(region, root)
		if err != nil {
			return nil, fmt.Errorf("original root volume %s of %s: %w", root, instanceID, err)
		}
		if orig, err = s.actual(region, vol.Encrypted, vol.KmsKeyId); err != nil {
			return nil, fmt.Errorf("key of the original root volume %s: %w", root, err)
		}
		origKnown = true
		s.memo[origMemoKey] = orig
	}
	ebd, err := s.ebd(region)
	if err != nil {
		return nil, err
	}
	t.in = rules.Input{Op: rules.CreateReplaceRootVolumeTask, Restore: restore, Source: t.src.State, Owned: t.src.Owned,
		SameRegion: true, EBD: ebd, Original: rules.UnencryptedSource}
	if orig.Encrypted {
		t.in.Original, t.origKey = rules.EncryptedSource, orig.KMSKeyARN
	}
	if !origKnown {
		// The swap happened before the first look: judged against the policy only.
		t.policyOnly, t.rule, t.note = true, rules.RootreplaceOrigUnknown, NoteOrigUnknown // policy_only.go
	}
	if succeeded && root != "" {
		vol, err := s.volume(region, root)
		if err != nil {
			t.err = fmt.Errorf("replacement root volume %s of %s: %w", root, instanceID, err)
			return []target{t}, nil
		}
		t.see(s, root, vol.Encrypted, vol.KmsKeyId)
	}
	return []target{t}, nil
}

// fix replaces the root again from an encrypted source.
func (replaceRoot) fix(t target, key string) string {
	return fmt.Sprintf("create an encrypted snapshot under %s (aws ec2 copy-snapshot --encrypted --kms-key-id %s ...) and replace the root of %s again from it (aws ec2 create-replace-root-volume-task --region %s --instance-id %s --snapshot-id <that snapshot>)",
		key, key, t.parent, t.region, t.parent)
}

// replaceRootTask describes the task by ID, or, when the response named none,
// the instance's newest task; nil when none is listed (yet).
func (s *session) replaceRootTask(api EC2API, region, taskID, instanceID string) (*ec2types.ReplaceRootVolumeTask, error) {
	in := &ec2.DescribeReplaceRootVolumeTasksInput{}
	if taskID != "" {
		in.ReplaceRootVolumeTaskIds = []string{taskID}
	} else {
		in.Filters = []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{instanceID}}}
	}
	out, err := api.DescribeReplaceRootVolumeTasks(s.ctx, in)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe replace-root-volume tasks of %s in %s: %w", instanceID, region, err)
	}
	tasks := out.ReplaceRootVolumeTasks
	if len(tasks) == 0 {
		return nil, nil
	}
	// Newest first: StartTime is an ISO 8601 string.
	slices.SortFunc(tasks, func(a, b ec2types.ReplaceRootVolumeTask) int {
		return strings.Compare(aws.ToString(b.StartTime), aws.ToString(a.StartTime))
	})
	return &tasks[0], nil
}

// instance describes one instance; it must exist.
func (s *session) instance(api EC2API, region, id string) (ec2types.Instance, error) {
	return remember(s, "instance/"+region+"/"+id, perEvent, func() (ec2types.Instance, error) {
		out, err := api.DescribeInstances(s.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil && !isNotFound(err) {
			return ec2types.Instance{}, fmt.Errorf("describe instance %s in %s: %w", id, region, err)
		}
		if out != nil {
			for _, res := range out.Reservations {
				for _, inst := range res.Instances {
					if aws.ToString(inst.InstanceId) == id {
						return inst, nil
					}
				}
			}
		}
		return ec2types.Instance{}, fmt.Errorf("instance %s in %s: %w", id, region, ErrNotFound)
	})
}

// rootVolumeID is the volume on the instance's root device.
func rootVolumeID(inst ec2types.Instance) string {
	for _, m := range inst.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) == aws.ToString(inst.RootDeviceName) && m.Ebs != nil {
			return aws.ToString(m.Ebs.VolumeId)
		}
	}
	return ""
}

// rootSnapshot is the snapshot of an AMI's root device ("only the root volume
// of the AMI is used").
func rootSnapshot(img ec2types.Image) string {
	for _, m := range ebsSnapshots(img.BlockDeviceMappings) {
		if aws.ToString(m.DeviceName) == aws.ToString(img.RootDeviceName) {
			return aws.ToString(m.Ebs.SnapshotId)
		}
	}
	return ""
}
