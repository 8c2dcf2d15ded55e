package capture

import (
	"cmp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// sortRootReplace orders what the root-replacement reads recorded
// (world.Region.Record) by ID.
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
