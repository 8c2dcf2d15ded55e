package world

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// FleetSpec describes a large launch: one RunInstances call of Instances
// instances from an AMI the account owns, whose root snapshot is encrypted
// with a customer managed key.
type FleetSpec struct {
	Account, Region string
	Instances       int
	// VolumeKeyARN is the key every launched volume got; empty: the AMI's
	// key, so the launch is compliant (launch/encrypted/owned).
	VolumeKeyARN string
}

// Fleet IDs, fixed so that tests can name them.
const (
	FleetImageID    = "ami-0f1ee7000000000aa"
	FleetSnapshotID = "snap-0f1ee7000000000aa"
	FleetEventID    = "f1ee7000-0000-4000-8000-000000000000"
)

// FleetInstanceID and FleetVolumeID name the i-th instance and its volume.
func FleetInstanceID(i int) string { return fmt.Sprintf("i-0f1ee%012x", i) }
func FleetVolumeID(i int) string   { return fmt.Sprintf("vol-0f1ee%012x", i) }

// FleetKeyARN is the AMI's customer managed key in the fleet's account and Region.
func (s FleetSpec) FleetKeyARN() string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/f1ee7000-0000-4000-8000-00000000cafe", s.Region, s.Account)
}

// Fleet builds the world after such a launch (every instance with its root
// volume attached) and the CloudTrail record of the launch, for tests of
// launches beyond EC2's per-call limits (MaxFilterValues).
func Fleet(s FleetSpec) (*World, []byte, error) {
	if s.Instances < 1 {
		return nil, nil, fmt.Errorf("a fleet needs at least one instance, not %d", s.Instances)
	}
	key := s.FleetKeyARN()
	volumeKey := s.VolumeKeyARN
	if volumeKey == "" {
		volumeKey = key
	}
	r := &Region{
		Keys: []Key{{KeyMetadata: kmstypes.KeyMetadata{KeyId: aws.String("f1ee7000-0000-4000-8000-00000000cafe"), Arn: aws.String(key),
			KeyManager: kmstypes.KeyManagerTypeCustomer, KeyState: kmstypes.KeyStateEnabled, AWSAccountId: aws.String(s.Account)}}},
		Images: []ec2types.Image{{ImageId: aws.String(FleetImageID), OwnerId: aws.String(s.Account), State: ec2types.ImageStateAvailable,
			RootDeviceName: aws.String("/dev/xvda"), BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"),
				Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String(FleetSnapshotID), Encrypted: aws.Bool(true), VolumeSize: aws.Int32(8)}}}}},
		Snapshots: []ec2types.Snapshot{{SnapshotId: aws.String(FleetSnapshotID), OwnerId: aws.String(s.Account), State: ec2types.SnapshotStateCompleted,
			Encrypted: aws.Bool(true), KmsKeyId: aws.String(key), VolumeSize: aws.Int32(8)}},
	}
	type item struct {
		InstanceID string `json:"instanceId"`
		ImageID    string `json:"imageId"`
		LaunchIdx  int    `json:"amiLaunchIndex"`
	}
	items := make([]item, s.Instances)
	for i := range s.Instances {
		id, vol := FleetInstanceID(i), FleetVolumeID(i)
		r.Instances = append(r.Instances, ec2types.Instance{InstanceId: aws.String(id), ImageId: aws.String(FleetImageID),
			BlockDeviceMappings: []ec2types.InstanceBlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsInstanceBlockDevice{VolumeId: aws.String(vol)}}}})
		r.Volumes = append(r.Volumes, ec2types.Volume{VolumeId: aws.String(vol), SnapshotId: aws.String(FleetSnapshotID), State: ec2types.VolumeStateInUse,
			Encrypted: aws.Bool(true), KmsKeyId: aws.String(volumeKey), Size: aws.Int32(8)})
		items[i] = item{InstanceID: id, ImageID: FleetImageID, LaunchIdx: i}
	}
	w := &World{Accounts: map[string]map[string]*Region{s.Account: {s.Region: r}}}
	record := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLE:fleet",
			"arn": fmt.Sprintf("arn:aws:sts::%s:assumed-role/ci/fleet", s.Account), "accountId": s.Account},
		"eventTime": "2026-11-20T10:04:11Z", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
		"awsRegion": s.Region, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.22.0",
		"requestParameters": map[string]any{
			"instancesSet": map[string]any{"items": []any{map[string]any{"minCount": s.Instances, "maxCount": s.Instances, "imageId": FleetImageID}}},
			"instanceType": "t3.micro", "blockDeviceMapping": map[string]any{},
		},
		"responseElements": map[string]any{"reservationId": "r-0f1ee7000000000aa", "ownerId": s.Account,
			"instancesSet": map[string]any{"items": items}},
		"requestID": FleetEventID, "eventID": FleetEventID, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": s.Account, "eventCategory": "Management",
	}
	b, err := json.Marshal(record)
	return w, b, err
}
