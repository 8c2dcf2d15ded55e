package verify

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Every kind of the rules' registry has an engine, and the engine has no
// kind the registry lacks: a new table without its finder fails here.
func TestEveryKindHasAnEngine(t *testing.T) {
	registered := map[rules.Op]bool{}
	for _, k := range rules.Kinds() {
		registered[k.Op] = true
		if _, ok := kinds[k.Op]; !ok {
			t.Errorf("kind %s has no engine in kinds", k.EventName)
		}
	}
	for op := range kinds {
		if !registered[op] {
			t.Errorf("engine for %s, which the registry lacks", op)
		}
	}
}

func record(t *testing.T, s string) *cloudtrail.Record {
	t.Helper()
	items := cloudtrail.DecodeAll([]byte(s))
	if len(items) != 1 || items[0].Err != nil {
		t.Fatalf("decode %s: %+v", s, items)
	}
	return items[0].Record
}

func TestReadCopyImage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want copyImageRequest
	}{
		{"plain", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceRegion":"us-east-1","sourceImageId":"ami-1"},"responseElements":{"imageId":"ami-2"}}`,
			copyImageRequest{SourceRegion: "us-east-1", SourceImageID: "ami-1", ImageID: "ami-2"}},
		{"strings for booleans, no response", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceRegion":"eu-west-1","sourceImageId":"ami-1","encrypted":"true","kmsKeyId":"alias/k"},"responseElements":null}`,
			copyImageRequest{SourceRegion: "eu-west-1", SourceImageID: "ami-1", Encrypted: rules.True, KMSKeyID: "alias/k"}},
		{"outpost, source Region defaulted", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceImageId":"ami-1","encrypted":false,"destinationOutpostArn":"arn:aws:outposts:eu-west-1:1:outpost/op-1"}}`,
			copyImageRequest{SourceRegion: "eu-west-1", SourceImageID: "ami-1", Encrypted: rules.False, Destination: rules.ToOutpost}},
		{"local zone", `{"eventName":"CopyImage","awsRegion":"us-west-2","requestParameters":{"sourceImageId":"ami-1","destinationAvailabilityZone":"us-west-2-lax-1a"}}`,
			copyImageRequest{SourceRegion: "us-west-2", SourceImageID: "ami-1", LocalZone: "us-west-2-lax-1a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readCopyImage(record(t, tt.in))
			if err != nil || got != tt.want {
				t.Errorf("readCopyImage() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := readCopyImage(record(t, `{"eventName":"CopyImage","requestParameters":{}}`)); err == nil {
		t.Error("CopyImage without sourceImageId: no error")
	}
}

func TestReadRunInstances(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want runInstancesRequest
	}{
		{
			"mappings and strings",
			`{"eventName":"RunInstances","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1","minCount":"1","maxCount":"1"}]},
			  "blockDeviceMapping":{"items":[{"deviceName":"/dev/sda1","ebs":{"volumeSize":"32","encrypted":"true","kmsKeyId":"alias/k"}},
			  {"deviceName":"/dev/sdb","noDevice":{}},{"deviceName":"/dev/sdc","virtualName":"ephemeral0"},{"deviceName":"/dev/sdd","ebs":{"snapshotId":"snap-1","encrypted":false}}]}},
			 "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-1"},{"instanceId":"i-2","imageId":"ami-1"}]}}}`,
			runInstancesRequest{
				ImageID: "ami-1",
				Mappings: []rules.Mapping{
					{DeviceName: "/dev/sda1", Encrypted: rules.True, KMSKeyID: "alias/k"},
					{DeviceName: "/dev/sdb", NoDevice: true},
					{DeviceName: "/dev/sdc", VirtualName: "ephemeral0"},
					{DeviceName: "/dev/sdd", SnapshotID: "snap-1", Encrypted: rules.False},
				},
				Instances: []launchedInstance{{"i-1", "ami-1"}, {"i-2", "ami-1"}},
			},
		},
		{
			"template by name without a version and no tags: $Default, not concrete",
			`{"eventName":"RunInstances","requestParameters":{"blockDeviceMapping":{},"instancesSet":{"items":[{"minCount":1}]},"launchTemplate":{"launchTemplateName":"web"}},"responseElements":null}`,
			runInstancesRequest{LaunchTemplate: &launchTemplate{Name: "web", Version: "$Default"}},
		},
		{
			"fleet: template and AMI from the response's tags",
			`{"eventName":"RunInstances","requestParameters":{"blockDeviceMapping":{},"instancesSet":{"items":[{"minCount":1}]}},
			 "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-9","tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-1"},{"key":"aws:ec2launchtemplate:version","value":"3"}]}}]}}}`,
			runInstancesRequest{ImageID: "ami-9", LaunchTemplate: &launchTemplate{ID: "lt-1", Version: "3", Concrete: true}, Instances: []launchedInstance{{"i-1", "ami-9"}}},
		},
		{
			"$Latest in the request, the concrete version in the tags",
			`{"eventName":"RunInstances","requestParameters":{"instancesSet":{"items":[{"minCount":1}]},"launchTemplate":{"launchTemplateName":"web","version":"$Latest"}},
			 "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-9","tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-1"},{"key":"aws:ec2launchtemplate:version","value":"7"}]}}]}}}`,
			runInstancesRequest{ImageID: "ami-9", LaunchTemplate: &launchTemplate{ID: "lt-1", Version: "7", Concrete: true}, Instances: []launchedInstance{{"i-1", "ami-9"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRunInstances(record(t, tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readRunInstances() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadCreateVolume(t *testing.T) {
	got, err := readCreateVolume(record(t, `{"eventName":"CreateVolume","requestParameters":{"snapshotId":"snap-1","zone":"us-east-1b","encrypted":"true","kmsKeyId":"alias/data"},"responseElements":{"volumeId":"vol-1","encrypted":true,"kmsKeyId":"arn:aws:kms:us-east-1:1:key/hint"}}`))
	if want := (createVolumeRequest{SnapshotID: "snap-1", Zone: "us-east-1b", Encrypted: rules.True, KMSKeyID: "alias/data", VolumeID: "vol-1"}); err != nil || got != want {
		t.Errorf("readCreateVolume() = %+v, %v; want %+v", got, err, want)
	}
	got, err = readCreateVolume(record(t, `{"eventName":"CreateVolume","requestParameters":{"zone":"us-east-1a","outpostArn":"arn:aws:outposts:us-east-1:1:outpost/op-1"},"responseElements":{"volumeId":"vol-2"}}`))
	if err != nil || !got.Outpost || got.SnapshotID != "" {
		t.Errorf("readCreateVolume(outpost) = %+v, %v", got, err)
	}
	if _, err := readCreateVolume(record(t, `{"eventName":"CreateVolume","requestParameters":{"zone":"us-east-1a"}}`)); err == nil {
		t.Error("CreateVolume without a volumeId in the response: no error")
	}
}

func TestReadCopySnapshot(t *testing.T) {
	got, err := readCopySnapshot(record(t, `{"eventName":"CopySnapshot","awsRegion":"eu-west-1","requestParameters":{"sourceRegion":"us-east-1","sourceSnapshotId":"snap-1","encrypted":true,"kmsKeyId":"alias/backup","description":"x"},"responseElements":{"snapshotId":"snap-2"}}`))
	if want := (copySnapshotRequest{SourceRegion: "us-east-1", SourceSnapshotID: "snap-1", Encrypted: rules.True, KMSKeyID: "alias/backup", SnapshotID: "snap-2", Description: "x"}); err != nil || got != want {
		t.Errorf("readCopySnapshot() = %+v, %v; want %+v", got, err, want)
	}
	got, err = readCopySnapshot(record(t, `{"eventName":"CopySnapshot","awsRegion":"eu-west-1","requestParameters":{"sourceSnapshotId":"snap-1","destinationOutpostArn":"arn:aws:outposts:eu-west-1:1:outpost/op-1"},"responseElements":{"snapshotId":"snap-2"}}`))
	if err != nil || got.Destination != rules.ToOutpost || got.SourceRegion != "eu-west-1" {
		t.Errorf("readCopySnapshot(outpost) = %+v, %v", got, err)
	}
	for _, bad := range []string{
		`{"eventName":"CopySnapshot","requestParameters":{},"responseElements":{"snapshotId":"snap-2"}}`,
		`{"eventName":"CopySnapshot","requestParameters":{"sourceSnapshotId":"snap-1"}}`,
	} {
		if _, err := readCopySnapshot(record(t, bad)); err == nil {
			t.Errorf("readCopySnapshot(%s): no error", bad)
		}
	}
}

// Requests rebuilt from real third-party records (../shared/testdata): every
// record of a kind reads without error, and a few are checked field by field.
func TestRequestsFromSharedTestdata(t *testing.T) {
	dir := "../../../shared/testdata/cloudtrail/"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/testdata/cloudtrail is absent")
	}
	files, _ := filepath.Glob(dir + "*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := record(t, string(b))
		switch r.EventName {
		case "RunInstances":
			_, err = readRunInstances(r)
		case "CopyImage":
			_, err = readCopyImage(r)
		case "CreateVolume":
			_, err = readCreateVolume(r)
		case "CopySnapshot":
			_, err = readCopySnapshot(r)
		}
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	read := func(t *testing.T, name string) *cloudtrail.Record {
		b, err := os.ReadFile(dir + name)
		if err != nil {
			t.Fatal(err)
		}
		return record(t, string(b))
	}
	t.Run("fleet launch: template from tags", func(t *testing.T) {
		got, err := readRunInstances(read(t, "panther-analysis__RunInstances__9.json"))
		if err != nil || got.ImageID != "ami-013e7d3a6659f358d" || got.LaunchTemplate == nil ||
			*got.LaunchTemplate != (launchTemplate{ID: "lt-07a0b5cea4ece8ffd", Version: "1", Concrete: true}) {
			t.Errorf("readRunInstances = %+v, %v", got, err)
		}
	})
	t.Run("noDevice and string sizes", func(t *testing.T) {
		got, err := readRunInstances(read(t, "panther-analysis__RunInstances__8.json"))
		want := []rules.Mapping{{DeviceName: "/dev/sda1"}, {DeviceName: "/dev/sdb", NoDevice: true}, {DeviceName: "/dev/sdc", NoDevice: true}}
		if err != nil || got.ImageID != "ami-085925f297f89fce1" || !reflect.DeepEqual(got.Mappings, want) || len(got.Instances) != 1 {
			t.Errorf("readRunInstances = %+v, %v", got, err)
		}
	})
	t.Run("encrypted data volume", func(t *testing.T) {
		got, err := readRunInstances(read(t, "awsdocs-aws-kms-developer-guide__RunInstances__1.json"))
		if err != nil || len(got.Mappings) != 2 || got.Mappings[0].Encrypted != rules.Omitted || got.Mappings[1].Encrypted != rules.True {
			t.Errorf("readRunInstances = %+v, %v", got, err)
		}
	})
	t.Run("template by ID in the request", func(t *testing.T) {
		got, err := readRunInstances(read(t, "panther-analysis__RunInstances__3.json"))
		if err != nil || got.LaunchTemplate == nil || got.LaunchTemplate.ID != "lt-0622a7ff26539376a" || got.LaunchTemplate.Version != "4" || !got.LaunchTemplate.Concrete {
			t.Errorf("readRunInstances = %+v, %v", got, err)
		}
	})
	t.Run("an empty encrypted volume", func(t *testing.T) {
		got, err := readCreateVolume(read(t, "awsdocs-aws-kms-developer-guide__CreateVolume__1.json"))
		if want := (createVolumeRequest{Zone: "us-east-1a", Encrypted: rules.True, VolumeID: "vol-13439757"}); err != nil || got != want {
			t.Errorf("readCreateVolume = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("a volume from a snapshot", func(t *testing.T) {
		got, err := readCreateVolume(read(t, "cloud-custodian__CreateVolume__1.json"))
		if want := (createVolumeRequest{SnapshotID: "snap-37beda4c", Zone: "us-east-1b", VolumeID: "vol-97c02b3e"}); err != nil || got != want {
			t.Errorf("readCreateVolume = %+v, %v; want %+v", got, err, want)
		}
	})
}
