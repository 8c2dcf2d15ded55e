package verify

import (
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// CreateVolume names the zone "zone", "availabilityZone" or by ID.
func TestReadCreateVolumeZones(t *testing.T) {
	for _, tt := range []struct{ params, zone, zoneID string }{
		{`{"zone":"us-east-1a"}`, "us-east-1a", ""},
		{`{"availabilityZone":"us-east-1b"}`, "us-east-1b", ""},
		{`{"availabilityZoneId":"use1-az1"}`, "", "use1-az1"},
	} {
		got, err := readCreateVolume(record(t, `{"eventName":"CreateVolume","requestParameters":`+tt.params+`,"responseElements":{"volumeId":"vol-1"}}`))
		if err != nil || got.Zone != tt.zone || got.ZoneID != tt.zoneID {
			t.Errorf("%s: %+v, %v; want zone %q, ID %q", tt.params, got, err, tt.zone, tt.zoneID)
		}
	}
}

// CopyVolumes names its source by ID or ARN; the new volume is
// volumeSet.items[0].volumeId.
func TestReadCopyVolumes(t *testing.T) {
	got, err := readCopyVolumes(record(t, `{"eventName":"CopyVolumes","requestParameters":{"sourceVolumeId":"arn:aws:ec2:us-east-1:111111111111:volume/vol-1","encrypted":"true","kmsKeyId":"alias/data"},"responseElements":{"volumeSet":{"items":[{"volumeId":"vol-2"}]}}}`))
	if want := (copyVolumesRequest{SourceVolumeID: "vol-1", SourceAccount: "111111111111", Encrypted: rules.True, KMSKeyID: "alias/data", VolumeID: "vol-2"}); err != nil || got != want {
		t.Errorf("readCopyVolumes(ARN) = %+v, %v; want %+v", got, err, want)
	}
	got, err = readCopyVolumes(record(t, `{"eventName":"CopyVolumes","requestParameters":{"sourceVolumeId":"vol-1"},"responseElements":{"volumeSet":[{"volumeId":"vol-2"}]}}`))
	if want := (copyVolumesRequest{SourceVolumeID: "vol-1", VolumeID: "vol-2"}); err != nil || got != want {
		t.Errorf("readCopyVolumes(ID) = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{
		`{"eventName":"CopyVolumes","requestParameters":{"sourceVolumeId":"vol-1"},"responseElements":{"volumeSet":{"items":[]}}}`,
		`{"eventName":"CopyVolumes","requestParameters":{},"responseElements":{"volumeSet":{"items":[{"volumeId":"vol-2"}]}}}`,
		`{"eventName":"CopyVolumes","requestParameters":{"sourceVolumeId":"arn:aws:ec2:us-east-1:1:snapshot/snap-1"},"responseElements":{"volumeSet":{"items":[{"volumeId":"vol-2"}]}}}`,
	} {
		if _, err := readCopyVolumes(record(t, bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestReadImportSnapshot(t *testing.T) {
	got, err := readImportSnapshot(record(t, `{"eventName":"ImportSnapshot","requestParameters":{"diskContainer":{"format":"VMDK","userBucket":{"s3Bucket":"b","s3Key":"k v.vmdk"}},"encrypted":true,"kmsKeyId":"alias/x"},"responseElements":{"importTaskId":"import-snap-1"}}`))
	if err != nil || got.TaskID != "import-snap-1" || got.Encrypted != rules.True || got.KMSKeyID != "alias/x" {
		t.Fatalf("readImportSnapshot = %+v, %v", got, err)
	}
	if opt := got.Container.option(); opt != `'Format=VMDK,UserBucket={S3Bucket=b,S3Key=k v.vmdk}'` {
		t.Errorf("disk container option %s", opt)
	}
	if _, err := readImportSnapshot(record(t, `{"eventName":"ImportSnapshot","requestParameters":{},"responseElements":null}`)); err == nil {
		t.Error("no importTaskId: no error")
	}
}

// The fixes of the new kinds are commands a person can paste: every disk
// container of the request, quoted for the shell.
func TestImportAndCopyFixes(t *testing.T) {
	got, err := readImportImage(record(t, `{"eventName":"ImportImage","requestParameters":{"diskContainerSet":{"items":[{"format":"VMDK","userBucket":{"s3Bucket":"b","s3Key":"d1.vmdk"},"deviceName":"/dev/sda1"},{"snapshotId":"snap-1"}]}},"responseElements":{"importTaskId":"import-ami-1"}}`))
	if err != nil || len(got.Containers) != 2 {
		t.Fatalf("readImportImage = %+v, %v", got, err)
	}
	fix := importImage{}.fix(target{region: "us-east-1", parent: "ami-1", containers: got.Containers}, "arn:aws:kms:us-east-1:222222222222:key/k")
	want := "import again with `aws ec2 import-image --region us-east-1 --disk-containers 'Format=VMDK,UserBucket={S3Bucket=b,S3Key=d1.vmdk},DeviceName=/dev/sda1' SnapshotId=snap-1 --encrypted --kms-key-id arn:aws:kms:us-east-1:222222222222:key/k`, then deregister ami-1 and delete its snapshots"
	if fix != want {
		t.Errorf("ImportImage fix\n%s\nwant\n%s", fix, want)
	}
	for _, tt := range []struct{ list, n string }{
		{`{"diskContainer":{"items":[{"url":"s3://b/1"},{"url":"s3://b/2"}]}}`, "2"},
		{`{"diskContainers":[{"url":"s3://b/1"}]}`, "1"},
		{`{"diskContainer":{"url":"s3://b/1"}}`, "1"},
	} {
		got, err := readImportImage(record(t, `{"eventName":"ImportImage","requestParameters":`+tt.list+`,"responseElements":{"importTaskId":"import-ami-1"}}`))
		if err != nil || string(rune('0'+len(got.Containers))) != tt.n {
			t.Errorf("%s: %+v, %v; want %s containers", tt.list, got, err, tt.n)
		}
	}
	fix = copyVolumes{}.fix(target{region: "us-east-1", parent: "vol-2", src: source{SnapshotID: "vol-1"}}, "<a key of 222222222222>")
	if want := "copy the volume again with `aws ec2 copy-volumes --region us-east-1 --source-volume-id vol-1 --encrypted --kms-key-id <a key of 222222222222>`, move its users to the new copy, then delete vol-2"; fix != want {
		t.Errorf("CopyVolumes fix\n%s\nwant\n%s", fix, want)
	}
}
