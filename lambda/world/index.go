package world

import (
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// regionIndex answers a Region's lookups by ID and by filter in constant
// time: built once per Region (on its first lookup after loading), so that
// the cost of a describe call does not grow with the size of the world.
type regionIndex struct {
	images     map[string]int   // ImageId → index in Images
	snapshots  map[string]int   // SnapshotId → index in Snapshots
	volumeByID map[string]int   // VolumeId → index in Volumes
	byInstance map[string][]int // attached InstanceId → indexes in Volumes, ascending
	// attach are the attachments of volumes that list none, from the
	// instances' mappings.
	attach    map[string][]ec2types.VolumeAttachment
	templates map[string][]int // "id:"+LaunchTemplateId and "name:"+LaunchTemplateName → indexes in LaunchTemplateVersions
	// instanceByID, taskByID and tasksByInstance answer a root replacement's
	// reads (rootreplace.go): indexes in Instances and ReplaceRootVolumeTasks.
	instanceByID    map[string]int
	taskByID        map[string]int
	tasksByInstance map[string][]int
	// snapshotsByDescription: Description → indexes in Snapshots, ascending
	// (the ImportSnapshot fallback's description filter).
	snapshotsByDescription map[string][]int
	importSnapshotTasks    map[string]int // ImportTaskId → index in ImportSnapshotTasks
	importImageTasks       map[string]int // ImportTaskId → index in ImportImageTasks
	// sizes are the lengths of the lists indexed: a list that grew (a test
	// adding to a loaded world) is indexed again.
	sizes [8]int
}

func (r *Region) sizes() [8]int {
	return [8]int{r.imageList().len(), r.snapshotList().len(), r.volumeList().len(), r.instanceList().len(), r.templateList().len(),
		r.importSnapshotList().len(), r.importImageList().len(), r.rootTaskList().len()}
}

// indexMu guards building the indexes: Regions are shared by concurrent
// evaluations (localaws, the engine's goroutines).
var indexMu sync.Mutex

// idx returns the Region's index, building it on first use. A Region changed
// after its index was built (Record, a live view) has its index reset.
func (r *Region) idx() *regionIndex {
	indexMu.Lock()
	defer indexMu.Unlock()
	if r.index == nil || r.index.sizes != r.sizes() {
		r.index = buildIndex(r)
	}
	return r.index
}

// buildIndex indexes the Region's lists by their elements' keys (lazy.go):
// decoded at load for a list held lazily, so that building the index decodes
// no element.
func buildIndex(r *Region) *regionIndex {
	images, snapshots, volumes, instances := r.imageList(), r.snapshotList(), r.volumeList(), r.instanceList()
	templates, rootTasks := r.templateList(), r.rootTaskList()
	importSnapshotTasks, importImageTasks := r.importSnapshotList(), r.importImageList()
	ix := &regionIndex{
		images: make(map[string]int, images.len()), snapshots: make(map[string]int, snapshots.len()),
		volumeByID: make(map[string]int, volumes.len()), byInstance: make(map[string][]int, volumes.len()), templates: map[string][]int{},
		attach: map[string][]ec2types.VolumeAttachment{}, sizes: r.sizes(),
		snapshotsByDescription: map[string][]int{},
		importSnapshotTasks:    make(map[string]int, importSnapshotTasks.len()),
		importImageTasks:       make(map[string]int, importImageTasks.len()),
		instanceByID:           make(map[string]int, instances.len()), taskByID: map[string]int{}, tasksByInstance: map[string][]int{},
	}
	// Each list's keys are taken once (lazy.go): the instances' serve
	// twice.
	var insts []instanceKeys
	for i, inst := range instances.keys() {
		insts = append(insts, inst)
		if _, dup := ix.instanceByID[aws.ToString(inst.InstanceId)]; !dup {
			ix.instanceByID[aws.ToString(inst.InstanceId)] = i
		}
	}
	for i, t := range rootTasks.keys() {
		if _, dup := ix.taskByID[aws.ToString(t.ReplaceRootVolumeTaskId)]; !dup {
			ix.taskByID[aws.ToString(t.ReplaceRootVolumeTaskId)] = i
		}
		ix.tasksByInstance[aws.ToString(t.InstanceId)] = append(ix.tasksByInstance[aws.ToString(t.InstanceId)], i)
	}
	for i, img := range images.keys() {
		if _, dup := ix.images[aws.ToString(img.ImageId)]; !dup {
			ix.images[aws.ToString(img.ImageId)] = i
		}
	}
	for i, s := range snapshots.keys() {
		if _, dup := ix.snapshots[aws.ToString(s.SnapshotId)]; !dup {
			ix.snapshots[aws.ToString(s.SnapshotId)] = i
		}
		if s.Description != nil {
			ix.snapshotsByDescription[*s.Description] = append(ix.snapshotsByDescription[*s.Description], i)
		}
	}
	for i, t := range importSnapshotTasks.keys() {
		if _, dup := ix.importSnapshotTasks[aws.ToString(t.ImportTaskId)]; !dup {
			ix.importSnapshotTasks[aws.ToString(t.ImportTaskId)] = i
		}
	}
	for i, t := range importImageTasks.keys() {
		if _, dup := ix.importImageTasks[aws.ToString(t.ImportTaskId)]; !dup {
			ix.importImageTasks[aws.ToString(t.ImportTaskId)] = i
		}
	}
	for _, inst := range insts {
		for _, m := range inst.BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.VolumeId != nil {
				ix.attach[*m.Ebs.VolumeId] = append(ix.attach[*m.Ebs.VolumeId], ec2types.VolumeAttachment{
					InstanceId: inst.InstanceId, Device: m.DeviceName, VolumeId: m.Ebs.VolumeId,
				})
			}
		}
	}
	for i, v := range volumes.keys() {
		if _, dup := ix.volumeByID[aws.ToString(v.VolumeId)]; !dup {
			ix.volumeByID[aws.ToString(v.VolumeId)] = i
		}
		// The instances it is attached to: its own attachments', else
		// those the instances' mappings give it.
		var attached []*string
		for _, a := range v.Attachments {
			attached = append(attached, a.InstanceId)
		}
		if len(v.Attachments) == 0 {
			for _, a := range ix.attach[aws.ToString(v.VolumeId)] {
				attached = append(attached, a.InstanceId)
			}
		}
		for _, inst := range attached {
			id := aws.ToString(inst)
			if l := ix.byInstance[id]; len(l) == 0 || l[len(l)-1] != i {
				ix.byInstance[id] = append(l, i)
			}
		}
	}
	for i, v := range templates.keys() {
		if v.LaunchTemplateId != nil {
			ix.templates["id:"+*v.LaunchTemplateId] = append(ix.templates["id:"+*v.LaunchTemplateId], i)
		}
		if v.LaunchTemplateName != nil {
			ix.templates["name:"+*v.LaunchTemplateName] = append(ix.templates["name:"+*v.LaunchTemplateName], i)
		}
	}
	return ix
}

// attachments are a volume's attachments: its own, else those the
// instances' mappings give it.
func (ix *regionIndex) attachments(v ec2types.Volume) []ec2types.VolumeAttachment {
	if len(v.Attachments) > 0 {
		return v.Attachments
	}
	return ix.attach[aws.ToString(v.VolumeId)]
}

// volume is the i-th volume of the Region as DescribeVolumes describes it.
func (r *Region) volume(ix *regionIndex, i int) (ec2types.Volume, error) {
	v, err := r.volumeList().at(i)
	v.Attachments = ix.attachments(v)
	return v, err
}

// volumeCandidates returns the indexes of the volumes a DescribeVolumes call
// may answer, ascending: those attached to the instances of an
// attachment.instance-id filter, else those named, else all (nil).
func (ix *regionIndex) volumeCandidates(ids []string, filters []ec2types.Filter) []int {
	for _, f := range filters {
		if aws.ToString(f.Name) != "attachment.instance-id" {
			continue
		}
		var out []int
		for _, inst := range f.Values {
			out = append(out, ix.byInstance[inst]...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	if len(ids) > 0 {
		var out []int
		for _, id := range ids {
			if i, ok := ix.volumeByID[id]; ok {
				out = append(out, i)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return nil
}

// snapshotCandidates returns the indexes of the snapshots a DescribeSnapshots
// call without IDs may answer, ascending: those of a description filter's
// values, else all (nil, ok false).
func (ix *regionIndex) snapshotCandidates(filters []ec2types.Filter) (out []int, ok bool) {
	for _, f := range filters {
		if aws.ToString(f.Name) != "description" {
			continue
		}
		for _, d := range f.Values {
			out = append(out, ix.snapshotsByDescription[d]...)
		}
		slices.Sort(out)
		return slices.Compact(out), true
	}
	return nil, false
}
