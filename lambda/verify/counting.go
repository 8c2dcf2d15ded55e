package verify

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// countingEC2 counts the EC2 calls an event makes, paginated pages included.
type countingEC2 struct {
	EC2API
	s *session
}

func (c *countingEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	c.s.count("DescribeImages")
	return c.EC2API.DescribeImages(ctx, in, o...)
}

func (c *countingEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, o ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	c.s.count("DescribeSnapshots")
	return c.EC2API.DescribeSnapshots(ctx, in, o...)
}

func (c *countingEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, o ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	c.s.count("DescribeVolumes")
	return c.EC2API.DescribeVolumes(ctx, in, o...)
}

func (c *countingEC2) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, o ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	c.s.count("DescribeLaunchTemplateVersions")
	return c.EC2API.DescribeLaunchTemplateVersions(ctx, in, o...)
}

func (c *countingEC2) GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, o ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	c.s.count("GetEbsEncryptionByDefault")
	return c.EC2API.GetEbsEncryptionByDefault(ctx, in, o...)
}

func (c *countingEC2) GetEbsDefaultKmsKeyId(ctx context.Context, in *ec2.GetEbsDefaultKmsKeyIdInput, o ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error) {
	c.s.count("GetEbsDefaultKmsKeyId")
	return c.EC2API.GetEbsDefaultKmsKeyId(ctx, in, o...)
}

func (c *countingEC2) DescribeImportSnapshotTasks(ctx context.Context, in *ec2.DescribeImportSnapshotTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error) {
	c.s.count("DescribeImportSnapshotTasks")
	return c.EC2API.DescribeImportSnapshotTasks(ctx, in, o...)
}

func (c *countingEC2) DescribeImportImageTasks(ctx context.Context, in *ec2.DescribeImportImageTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeImportImageTasksOutput, error) {
	c.s.count("DescribeImportImageTasks")
	return c.EC2API.DescribeImportImageTasks(ctx, in, o...)
}
