package world_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const doc = `{"accounts":{"222222222222":{"us-east-1":{
  "keys":[{"KeyId":"k1","Arn":"arn:aws:kms:us-east-1:222222222222:key/k1","KeyManager":"CUSTOMER","Aliases":["alias/web"]}],
  "images":[{"ImageId":"ami-1","OwnerId":"222222222222","State":"available"}],
  "instances":[{"InstanceId":"i-1","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"VolumeId":"vol-1"}}]}],
  "volumes":[{"VolumeId":"vol-1","Encrypted":true},{"VolumeId":"vol-2","Attachments":[{"InstanceId":"i-2","Device":"/dev/sdb"}]}],
  "launchTemplateVersions":[
    {"LaunchTemplateId":"lt-1","LaunchTemplateName":"web","VersionNumber":1,"DefaultVersion":true,"LaunchTemplateData":{"ImageId":"ami-1"}},
    {"LaunchTemplateId":"lt-1","LaunchTemplateName":"web","VersionNumber":2,"LaunchTemplateData":{"ImageId":"ami-2"}}]
}}}}`

func code(err error) string {
	if ae, ok := err.(smithy.APIError); ok {
		return ae.ErrorCode()
	}
	return ""
}

func TestWorld(t *testing.T) {
	w, err := world.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, _ := w.EC2(ctx, "222222222222", "us-east-1")
	k, _ := w.KMS(ctx, "222222222222", "us-east-1")

	if _, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-1", "ami-9"}}); code(err) != "InvalidAMIID.NotFound" {
		t.Errorf("DescribeImages(unknown) error = %v", err)
	}
	if _, err := e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-9"}}); code(err) != "InvalidSnapshot.NotFound" {
		t.Errorf("DescribeSnapshots(unknown) error = %v", err)
	}
	vols, err := e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{"i-1", "i-2"}}}})
	if err != nil || len(vols.Volumes) != 2 || aws.ToString(vols.Volumes[0].Attachments[0].Device) != "/dev/xvda" {
		t.Errorf("DescribeVolumes by instance = %+v, %v; want both volumes, vol-1 attached from the instance's mapping", vols, err)
	}
	for version, image := range map[string]string{"$Default": "ami-1", "$Latest": "ami-2", "2": "ami-2"} {
		out, err := e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("web"), Versions: []string{version}})
		if err != nil || aws.ToString(out.LaunchTemplateVersions[0].LaunchTemplateData.ImageId) != image {
			t.Errorf("version %s = %+v, %v; want %s", version, out, err, image)
		}
	}
	if _, err := e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("lt-1"), Versions: []string{"7"}}); code(err) != "InvalidLaunchTemplateId.VersionNotFound" {
		t.Errorf("unknown version error = %v", err)
	}
	if _, err := e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("lt-9")}); code(err) != "InvalidLaunchTemplateId.NotFound" {
		t.Errorf("unknown template error = %v", err)
	}
	def, _ := e.GetEbsDefaultKmsKeyId(ctx, nil)
	ebd, _ := e.GetEbsEncryptionByDefault(ctx, nil)
	if aws.ToString(def.KmsKeyId) != "alias/aws/ebs" || aws.ToBool(ebd.EbsEncryptionByDefault) {
		t.Errorf("defaults = %q, %v; want alias/aws/ebs, false", aws.ToString(def.KmsKeyId), aws.ToBool(ebd.EbsEncryptionByDefault))
	}
	for _, ref := range []string{"k1", "alias/web", "arn:aws:kms:us-east-1:222222222222:key/k1", "arn:aws:kms:us-east-1:222222222222:alias/web"} {
		out, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if err != nil || aws.ToString(out.KeyMetadata.Arn) != "arn:aws:kms:us-east-1:222222222222:key/k1" {
			t.Errorf("DescribeKey(%s) = %v", ref, err)
		}
	}
	other, _ := w.KMS(ctx, "333333333333", "us-east-1")
	if _, err := other.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/web")}); code(err) != "NotFoundException" {
		t.Errorf("alias from another account resolved: %v", err)
	}
}

func TestParseRejectsTypos(t *testing.T) {
	for _, bad := range []string{`{"acounts":{}}`, `{"accounts":{"1":{"us-east-1":{"ebsEncryptionByDefualt":true}}}}`, `{"accounts":{"1":{"us-east-1":{"images":[{"ImageId":7}]}}}}`} {
		if _, err := world.Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%s): no error", bad)
		}
	}
}
