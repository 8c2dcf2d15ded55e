package world

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// replaceRootVolumeTasks are root-volume replacements; a later entry's task
// replaces the task of the same ID (one that succeeds later).
var replaceRootVolumeTasks = declare(&listOf[ec2types.ReplaceRootVolumeTask, rootTaskKeys]{
	Name: "replaceRootVolumeTasks", Noun: "root volume replacement task", In: func(r *Region) *[]ec2types.ReplaceRootVolumeTask { return &r.ReplaceRootVolumeTasks },
	Later: func(e *Later) *[]ec2types.ReplaceRootVolumeTask { return &e.ReplaceRootVolumeTasks },
	Keys: func(x ec2types.ReplaceRootVolumeTask) rootTaskKeys {
		return rootTaskKeys{x.ReplaceRootVolumeTaskId, x.InstanceId}
	},
	ID: func(k rootTaskKeys) string { return aws.ToString(k.ReplaceRootVolumeTaskId) },
	Out: from(func(o *ec2.DescribeReplaceRootVolumeTasksOutput) []ec2types.ReplaceRootVolumeTask {
		return o.ReplaceRootVolumeTasks
	}),
	By:    map[string]func(rootTaskKeys) []string{"instance-id": func(k rootTaskKeys) []string { return []string{aws.ToString(k.InstanceId)} }},
	Match: taskMatches,
})

// rootTaskKeys are what the index reads of a root-volume replacement task.
type rootTaskKeys struct{ ReplaceRootVolumeTaskId, InstanceId *string }

// DescribeReplaceRootVolumeTasks answers by ReplaceRootVolumeTaskIds and by
// the filter instance-id, from the Region's index; an unknown task ID is
// InvalidReplaceRootVolumeTaskId.NotFound.
func (c *EC2) DescribeReplaceRootVolumeTasks(_ context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error) {
	reg, err := c.view(call{list: replaceRootVolumeTasks, ids: in.ReplaceRootVolumeTaskIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	tasks := replaceRootVolumeTasks.of(reg)
	ix := reg.idx()
	if m := missing(in.ReplaceRootVolumeTaskIds, func(id string) bool { _, ok := ix.ids[replaceRootVolumeTasks][id]; return ok }); len(m) > 0 {
		return nil, notFound("InvalidReplaceRootVolumeTaskId.NotFound", "The replace root volume task ID '%s' does not exist", strings.Join(m, ", "))
	}
	var cand []int
	switch instances, byInstance := filterValues(in.Filters, "instance-id"); {
	case len(in.ReplaceRootVolumeTaskIds) > 0:
		for _, id := range in.ReplaceRootVolumeTaskIds {
			cand = append(cand, ix.ids[replaceRootVolumeTasks][id])
		}
	case byInstance:
		for _, id := range instances {
			cand = append(cand, ix.by(replaceRootVolumeTasks, "instance-id", id)...)
		}
	default:
		for i := range tasks.len() {
			cand = append(cand, i)
		}
	}
	slices.Sort(cand)
	out := &ec2.DescribeReplaceRootVolumeTasksOutput{}
	for _, i := range slices.Compact(cand) {
		t, err := tasks.at(i)
		if err != nil {
			return nil, err
		}
		if taskMatches(t, in.Filters) {
			out.ReplaceRootVolumeTasks = append(out.ReplaceRootVolumeTasks, t)
		}
	}
	return out, nil
}

// filterValues returns the values of the filter of that name, and whether
// the call has one.
func filterValues(filters []ec2types.Filter, name string) ([]string, bool) {
	for _, f := range filters {
		if aws.ToString(f.Name) == name {
			return f.Values, true
		}
	}
	return nil, false
}

func taskMatches(t ec2types.ReplaceRootVolumeTask, filters []ec2types.Filter) bool {
	for _, f := range filters {
		if aws.ToString(f.Name) == "instance-id" && !slices.Contains(f.Values, aws.ToString(t.InstanceId)) {
			return false
		}
	}
	return true
}

// DescribeInstances answers by InstanceIds from the Region's index, one
// reservation per instance; an unknown ID is InvalidInstanceID.NotFound.
func (c *EC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	reg, err := c.view(call{list: instances, ids: in.InstanceIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	insts := instances.of(reg)
	ix := reg.idx()
	if m := missing(in.InstanceIds, func(id string) bool { _, ok := ix.ids[instances][id]; return ok }); len(m) > 0 {
		return nil, notFound("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", strings.Join(m, ", "))
	}
	out := &ec2.DescribeInstancesOutput{}
	add := func(inst ec2types.Instance) {
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{inst}})
	}
	if len(in.InstanceIds) == 0 {
		all, err := insts.all()
		if err != nil {
			return nil, err
		}
		for _, inst := range all {
			add(inst)
		}
		return out, nil
	}
	seen := map[string]bool{}
	for _, id := range in.InstanceIds {
		if !seen[id] {
			seen[id] = true
			inst, err := insts.at(ix.ids[instances][id])
			if err != nil {
				return nil, err
			}
			add(inst)
		}
	}
	return out, nil
}
