package world

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// DescribeReplaceRootVolumeTasks answers by ReplaceRootVolumeTaskIds and by
// the filter instance-id, from the Region's index; an unknown task ID is
// InvalidReplaceRootVolumeTaskId.NotFound.
func (c *EC2) DescribeReplaceRootVolumeTasks(_ context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error) {
	reg, err := c.view(call{kind: "replace-root-volume-tasks", ids: in.ReplaceRootVolumeTaskIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	tasks, ix := reg.rootTaskList(), reg.idx()
	if m := missing(in.ReplaceRootVolumeTaskIds, func(id string) bool { _, ok := ix.taskByID[id]; return ok }); len(m) > 0 {
		return nil, notFound("InvalidReplaceRootVolumeTaskId.NotFound", "The replace root volume task ID '%s' does not exist", strings.Join(m, ", "))
	}
	var cand []int
	switch instances, byInstance := filterValues(in.Filters, "instance-id"); {
	case len(in.ReplaceRootVolumeTaskIds) > 0:
		for _, id := range in.ReplaceRootVolumeTaskIds {
			cand = append(cand, ix.taskByID[id])
		}
	case byInstance:
		for _, id := range instances {
			cand = append(cand, ix.tasksByInstance[id]...)
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
	reg, err := c.view(call{kind: "instances", ids: in.InstanceIds, filters: in.Filters})
	if err != nil {
		return nil, err
	}
	instances, ix := reg.instanceList(), reg.idx()
	if m := missing(in.InstanceIds, func(id string) bool { _, ok := ix.instanceByID[id]; return ok }); len(m) > 0 {
		return nil, notFound("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", strings.Join(m, ", "))
	}
	out := &ec2.DescribeInstancesOutput{}
	add := func(inst ec2types.Instance) {
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{inst}})
	}
	if len(in.InstanceIds) == 0 {
		all, err := instances.all()
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
			inst, err := instances.at(ix.instanceByID[id])
			if err != nil {
				return nil, err
			}
			add(inst)
		}
	}
	return out, nil
}

// laterTaskConcerns reports whether a DescribeReplaceRootVolumeTasks call
// would show one of a later entry's tasks.
func laterTaskConcerns(e Later, q call) bool {
	for _, t := range e.ReplaceRootVolumeTasks {
		if (len(q.ids) == 0 || slices.Contains(q.ids, aws.ToString(t.ReplaceRootVolumeTaskId))) && taskMatches(t, q.filters) {
			return true
		}
	}
	return false
}
