package world

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Pruned keeps the Kept fields, drops the rest, keeps a pointer's presence
// and never changes the world it copies.
func TestPruned(t *testing.T) {
	img := ec2types.Image{ImageId: aws.String("ami-1"), Name: aws.String("alice-golden"), ImageLocation: aws.String("bucket/alice"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sdb"), NoDevice: aws.String("")},
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1"), VolumeSize: aws.Int32(8)}}}}
	inst := ec2types.Instance{InstanceId: aws.String("i-1"), KeyName: aws.String("alice"), PrivateIpAddress: aws.String("10.0.0.5"),
		IamInstanceProfile: &ec2types.IamInstanceProfile{Arn: aws.String("arn:aws:iam::1:instance-profile/p")}}
	lt := ec2types.LaunchTemplateVersion{LaunchTemplateId: aws.String("lt-1"), VersionDescription: aws.String("alice's"),
		LaunchTemplateData: &ec2types.ResponseLaunchTemplateData{ImageId: aws.String("ami-1"), UserData: aws.String("cGFzc3dvcmQ="), KeyName: aws.String("k")}}
	w := &World{Accounts: map[string]map[string]*Region{"1": {"r": {Images: []ec2types.Image{img}, Instances: []ec2types.Instance{inst},
		LaunchTemplateVersions: []ec2types.LaunchTemplateVersion{lt}, Later: []Later{{AfterCalls: 1}}}}}}
	p := Pruned(w).Accounts["1"]["r"]
	gi := p.Images[0]
	if aws.ToString(gi.ImageId) != "ami-1" || gi.Name != nil || gi.ImageLocation != nil || gi.BlockDeviceMappings[0].NoDevice == nil ||
		aws.ToString(gi.BlockDeviceMappings[1].Ebs.SnapshotId) != "snap-1" || gi.BlockDeviceMappings[1].Ebs.VolumeSize != nil {
		t.Errorf("image pruned to %+v", gi)
	}
	if gn := p.Instances[0]; aws.ToString(gn.InstanceId) != "i-1" || gn.KeyName != nil || gn.PrivateIpAddress != nil || gn.IamInstanceProfile != nil {
		t.Errorf("instance pruned to %+v", gn)
	}
	if gl := p.LaunchTemplateVersions[0]; gl.VersionDescription != nil || gl.LaunchTemplateData.UserData != nil || gl.LaunchTemplateData.KeyName != nil ||
		aws.ToString(gl.LaunchTemplateData.ImageId) != "ami-1" {
		t.Errorf("launch template version pruned to %+v", gl)
	}
	if p.Later != nil {
		t.Error("later entries kept")
	}
	// The original is untouched, and shares nothing with the copy.
	p.Images[0].BlockDeviceMappings[1].Ebs.SnapshotId = aws.String("snap-2")
	if o := w.Accounts["1"]["r"].Images[0]; aws.ToString(o.Name) != "alice-golden" || aws.ToString(o.BlockDeviceMappings[1].Ebs.SnapshotId) != "snap-1" ||
		aws.ToInt32(o.BlockDeviceMappings[1].Ebs.VolumeSize) != 8 {
		t.Errorf("the original changed: %+v", o)
	}
}
