package world

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Record keeps in the Region what an EC2 or KMS read answered (in and out are
// the call's typed input and output), so that this world answers the same
// read the same way: the inverse of the answers in ec2.go and kms.go, kept
// beside them. It reports whether it knows the output; `world capture`
// records every read through it (lambda/capture), and a test holds it to
// every read of verify.EC2API and verify.KMSAPI. A Region loaded lazily has
// its lists decoded first (lazy.go).
func (r *Region) Record(in, out any) bool {
	if r.decode() != nil { // a lazily held list that does not decode: nothing to keep it in
		return false
	}
	switch o := out.(type) {
	case *ec2.DescribeImagesOutput:
		for _, img := range o.Images {
			r.Images = recordOne(r.Images, img, func(x ec2types.Image) string { return aws.ToString(x.ImageId) })
		}
	case *ec2.DescribeSnapshotsOutput:
		for _, s := range o.Snapshots {
			r.Snapshots = recordOne(r.Snapshots, s, func(x ec2types.Snapshot) string { return aws.ToString(x.SnapshotId) })
		}
	case *ec2.DescribeVolumesOutput:
		for _, v := range o.Volumes {
			r.Volumes = recordOne(r.Volumes, v, func(x ec2types.Volume) string { return aws.ToString(x.VolumeId) })
		}
	case *ec2.DescribeLaunchTemplateVersionsOutput:
		for _, v := range o.LaunchTemplateVersions {
			r.LaunchTemplateVersions = recordOne(r.LaunchTemplateVersions, v, func(x ec2types.LaunchTemplateVersion) string {
				return fmt.Sprintf("%s/%d", aws.ToString(x.LaunchTemplateId), aws.ToInt64(x.VersionNumber))
			})
		}
	case *ec2.DescribeReplaceRootVolumeTasksOutput:
		for _, t := range o.ReplaceRootVolumeTasks {
			r.ReplaceRootVolumeTasks = recordOne(r.ReplaceRootVolumeTasks, t, func(x ec2types.ReplaceRootVolumeTask) string {
				return aws.ToString(x.ReplaceRootVolumeTaskId)
			})
		}
	case *ec2.DescribeInstancesOutput:
		for _, res := range o.Reservations {
			for _, inst := range res.Instances {
				r.Instances = recordOne(r.Instances, inst, func(x ec2types.Instance) string { return aws.ToString(x.InstanceId) })
			}
		}
	case *ec2.DescribeImportSnapshotTasksOutput:
		for _, t := range o.ImportSnapshotTasks {
			r.ImportSnapshotTasks = recordOne(r.ImportSnapshotTasks, t, func(x ec2types.ImportSnapshotTask) string { return aws.ToString(x.ImportTaskId) })
		}
	case *ec2.DescribeImportImageTasksOutput:
		for _, t := range o.ImportImageTasks {
			r.ImportImageTasks = recordOne(r.ImportImageTasks, t, func(x ec2types.ImportImageTask) string { return aws.ToString(x.ImportTaskId) })
		}
	case *ec2.GetEbsEncryptionByDefaultOutput:
		r.EBSEncryptionByDefault = aws.ToBool(o.EbsEncryptionByDefault)
	case *ec2.GetEbsDefaultKmsKeyIdOutput:
		r.EBSDefaultKMSKeyID = aws.ToString(o.KmsKeyId)
	case *kms.DescribeKeyOutput:
		// The key under the calling account and Region, where the world
		// resolves references, with the alias it was asked by: the world
		// resolves an alias name or alias ARN only through a key's Aliases.
		if o.KeyMetadata == nil {
			return true
		}
		alias := ""
		if in, ok := in.(*kms.DescribeKeyInput); ok {
			switch ref := aws.ToString(in.KeyId); {
			case strings.HasPrefix(ref, "alias/"):
				alias = ref
			case strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":alias/"):
				alias = ref[strings.Index(ref, ":alias/")+1:]
			}
		}
		i := slices.IndexFunc(r.Keys, func(x Key) bool { return aws.ToString(x.Arn) == aws.ToString(o.KeyMetadata.Arn) })
		if i < 0 {
			r.Keys = append(r.Keys, Key{})
			i = len(r.Keys) - 1
		}
		k := &r.Keys[i]
		k.KeyMetadata = *o.KeyMetadata
		if alias != "" && !slices.Contains(k.Aliases, alias) {
			k.Aliases = append(k.Aliases, alias)
		}
	default:
		return false
	}
	r.index = nil // the indexes are built again on the next lookup
	return true
}

// recordOne replaces the element with the same ID, or appends.
func recordOne[T any](list []T, x T, id func(T) string) []T {
	if i := slices.IndexFunc(list, func(y T) bool { return id(y) == id(x) }); i >= 0 {
		list[i] = x
		return list
	}
	return append(list, x)
}
