package capture

import (
	"cmp"
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The reads of a root replacement (CreateReplaceRootVolumeTask), recorded.

func (c *recordingEC2) DescribeReplaceRootVolumeTasks(ctx context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error) {
	out, err := c.live.DescribeReplaceRootVolumeTasks(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, t := range out.ReplaceRootVolumeTasks {
				reg.ReplaceRootVolumeTasks = upsert(reg.ReplaceRootVolumeTasks, t, func(x ec2types.ReplaceRootVolumeTask) string {
					return aws.ToString(x.ReplaceRootVolumeTaskId)
				})
			}
		})
	}
	return out, err
}

func (c *recordingEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, o ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	out, err := c.live.DescribeInstances(ctx, in, o...)
	if err == nil {
		c.r.update(c.account, c.region, func(reg *world.Region) {
			for _, res := range out.Reservations {
				for _, inst := range res.Instances {
					reg.Instances = upsert(reg.Instances, inst, func(x ec2types.Instance) string { return aws.ToString(x.InstanceId) })
				}
			}
		})
	}
	return out, err
}

// sortRootReplace orders what the root-replacement reads recorded by ID.
func sortRootReplace(c *world.Region, reg *world.Region) {
	c.Instances = slices.Clone(reg.Instances)
	slices.SortFunc(c.Instances, func(a, b ec2types.Instance) int {
		return cmp.Compare(aws.ToString(a.InstanceId), aws.ToString(b.InstanceId))
	})
	c.ReplaceRootVolumeTasks = slices.Clone(reg.ReplaceRootVolumeTasks)
	slices.SortFunc(c.ReplaceRootVolumeTasks, func(a, b ec2types.ReplaceRootVolumeTask) int {
		return cmp.Compare(aws.ToString(a.ReplaceRootVolumeTaskId), aws.ToString(b.ReplaceRootVolumeTaskId))
	})
}
