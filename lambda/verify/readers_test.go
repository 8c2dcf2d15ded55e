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
