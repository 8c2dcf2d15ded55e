package verify

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// EC2API is the read-only part of EC2 the guardrail calls.
type EC2API interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
	DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, opts ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error)
	GetEbsDefaultKmsKeyId(ctx context.Context, in *ec2.GetEbsDefaultKmsKeyIdInput, opts ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error)
	DescribeImportSnapshotTasks(ctx context.Context, in *ec2.DescribeImportSnapshotTasksInput, opts ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error)
	DescribeImportImageTasks(ctx context.Context, in *ec2.DescribeImportImageTasksInput, opts ...func(*ec2.Options)) (*ec2.DescribeImportImageTasksOutput, error)
	// Root-volume replacements (kind_rootreplace.go).
	DescribeReplaceRootVolumeTasks(ctx context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, opts ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// KMSAPI is the read-only part of KMS the guardrail calls.
type KMSAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

var (
	_ EC2API = (*ec2.Client)(nil)
	_ KMSAPI = (*kms.Client)(nil)
)

// Clients gives the EC2 and KMS clients that see an account's view of a
// Region: the live AWS APIs (possibly through an assumed role) or a world file.
type Clients interface {
	EC2(ctx context.Context, account, region string) (EC2API, error)
	KMS(ctx context.Context, account, region string) (KMSAPI, error)
}
