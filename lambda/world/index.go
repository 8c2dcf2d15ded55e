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
	// ids maps each declared list (lists.go) to its objects' IDs → their
	// first index in the list.
	ids map[list]map[string]int
	// keys are the declared lists' other indexes (listOf.By): key → value
	// → indexes in the list, ascending.
	keys map[list]map[string]map[string][]int
	// byInstance: attached InstanceId → indexes in Volumes, ascending. A
	// volume's attachments may come from another list (the instances'
	// mappings: attach), so it is built here rather than declared.
	byInstance map[string][]int
	// attach are the attachments of volumes that list none, from the
	// instances' mappings.
	attach map[string][]ec2types.VolumeAttachment
	// sizes are the lengths of the lists indexed: a list that grew (a test
	// adding to a loaded world) is indexed again.
	sizes []int
}

func (r *Region) sizes() []int {
	n := make([]int, len(lists))
	for i, l := range lists {
		n[i] = l.len(r)
	}
	return n
}

// by returns the indexes of the list's objects whose value under key (one
// of its declaration's By) is v, ascending.
func (ix *regionIndex) by(l list, key, v string) []int {
	return ix.keys[l][key][v]
}

// at is the index of the object of that ID in the Region's list.
func (ix *regionIndex) at(l list, id string) (int, bool) {
	i, ok := ix.ids[l][id]
	return i, ok
}

// indexMu guards building the indexes: Regions are shared by concurrent
// evaluations (localaws, the engine's goroutines).
var indexMu sync.Mutex

// idx returns the Region's index, building it on first use. A Region changed
// after its index was built (Record, a live view) has its index reset.
func (r *Region) idx() *regionIndex {
	indexMu.Lock()
	defer indexMu.Unlock()
	if r.index == nil || !slices.Equal(r.index.sizes, r.sizes()) {
		r.index = buildIndex(r)
	}
	return r.index
}

func buildIndex(r *Region) *regionIndex {
	ix := &regionIndex{
		ids: make(map[list]map[string]int, len(lists)), keys: make(map[list]map[string]map[string][]int, len(lists)),
		byInstance: map[string][]int{}, attach: map[string][]ec2types.VolumeAttachment{}, sizes: r.sizes(),
	}
	for _, l := range lists {
		ix.ids[l] = l.byID(r)
		ix.keys[l] = l.byKeys(r)
	}
	// Volumes by attached instance, from the keys of both lists (a lazily
	// loaded list's as read at load: no volume or instance is decoded).
	for _, inst := range instances.of(r).keys() {
		for _, m := range inst.BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.VolumeId != nil {
				ix.attach[*m.Ebs.VolumeId] = append(ix.attach[*m.Ebs.VolumeId], ec2types.VolumeAttachment{
					InstanceId: inst.InstanceId, Device: m.DeviceName, VolumeId: m.Ebs.VolumeId,
				})
			}
		}
	}
	for i, v := range volumes.of(r).keys() {
		add := func(instance *string) {
			id := aws.ToString(instance)
			if l := ix.byInstance[id]; len(l) == 0 || l[len(l)-1] != i {
				ix.byInstance[id] = append(l, i)
			}
		}
		if len(v.Attachments) > 0 {
			for _, a := range v.Attachments {
				add(a.InstanceId)
			}
			continue
		}
		for _, a := range ix.attach[aws.ToString(v.VolumeId)] {
			add(a.InstanceId)
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
	v, err := volumes.of(r).at(i)
	if err != nil {
		return v, err
	}
	v.Attachments = ix.attachments(v)
	return v, nil
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
			if i, ok := ix.at(volumes, id); ok {
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
			out = append(out, ix.by(snapshots, "description", d)...)
		}
		slices.Sort(out)
		return slices.Compact(out), true
	}
	return nil, false
}
