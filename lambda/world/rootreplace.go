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
// the filter instance-id; an unknown task ID is
// InvalidReplaceRootVolumeTaskId.NotFound.
func (c *EC2) DescribeReplaceRootVolumeTasks(_ context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, _ ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error) {
	tasks := c.view(call{kind: "replace-root-volume-tasks", ids: in.ReplaceRootVolumeTaskIds, filters: in.Filters}).ReplaceRootVolumeTasks
	if m := missing(in.ReplaceRootVolumeTaskIds, func(id string) bool {
		return slices.ContainsFunc(tasks, func(t ec2types.ReplaceRootVolumeTask) bool { return aws.ToString(t.ReplaceRootVolumeTaskId) == id })
	}); len(m) > 0 {
		return nil, notFound("InvalidReplaceRootVolumeTaskId.NotFound", "The replace root volume task ID '%s' does not exist", strings.Join(m, ", "))
	}
	out := &ec2.DescribeReplaceRootVolumeTasksOutput{}
	for _, t := range tasks {
		if len(in.ReplaceRootVolumeTaskIds) > 0 && !slices.Contains(in.ReplaceRootVolumeTaskIds, aws.ToString(t.ReplaceRootVolumeTaskId)) {
			continue
		}
		if !taskMatches(t, in.Filters) {
			continue
		}
		out.ReplaceRootVolumeTasks = append(out.ReplaceRootVolumeTasks, t)
	}
	return out, nil
}

func taskMatches(t ec2types.ReplaceRootVolumeTask, filters []ec2types.Filter) bool {
	for _, f := range filters {
		if aws.ToString(f.Name) == "instance-id" && !slices.Contains(f.Values, aws.ToString(t.InstanceId)) {
			return false
		}
	}
	return true
}

// DescribeInstances answers by InstanceIds, one reservation per instance; an
// unknown ID is InvalidInstanceID.NotFound.
func (c *EC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	insts := c.view(call{kind: "instances", ids: in.InstanceIds, filters: in.Filters}).Instances
	if m := missing(in.InstanceIds, func(id string) bool {
		return slices.ContainsFunc(insts, func(x ec2types.Instance) bool { return aws.ToString(x.InstanceId) == id })
	}); len(m) > 0 {
		return nil, notFound("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", strings.Join(m, ", "))
	}
	out := &ec2.DescribeInstancesOutput{}
	for _, inst := range insts {
		if len(in.InstanceIds) > 0 && !slices.Contains(in.InstanceIds, aws.ToString(inst.InstanceId)) {
			continue
		}
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{inst}})
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
