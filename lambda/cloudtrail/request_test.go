package cloudtrail_test

import (
	"os"
	"reflect"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

func one(t *testing.T, s string) *cloudtrail.Record {
	t.Helper()
	items := cloudtrail.DecodeAll([]byte(s))
	if len(items) != 1 || items[0].Err != nil {
		t.Fatalf("decode %s: %+v", s, items)
	}
	return items[0].Record
}

func TestCopyImage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want cloudtrail.CopyImageRequest
	}{
		{"plain", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceRegion":"us-east-1","sourceImageId":"ami-1"},"responseElements":{"imageId":"ami-2"}}`,
			cloudtrail.CopyImageRequest{SourceRegion: "us-east-1", SourceImageID: "ami-1", ImageID: "ami-2"}},
		{"strings for booleans, no response", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceRegion":"eu-west-1","sourceImageId":"ami-1","encrypted":"true","kmsKeyId":"alias/k"},"responseElements":null}`,
			cloudtrail.CopyImageRequest{SourceRegion: "eu-west-1", SourceImageID: "ami-1", Encrypted: rules.True, KMSKeyID: "alias/k"}},
		{"outpost, source Region defaulted", `{"eventName":"CopyImage","awsRegion":"eu-west-1","requestParameters":{"sourceImageId":"ami-1","encrypted":false,"destinationOutpostArn":"arn:aws:outposts:eu-west-1:1:outpost/op-1"}}`,
			cloudtrail.CopyImageRequest{SourceRegion: "eu-west-1", SourceImageID: "ami-1", Encrypted: rules.False, Destination: rules.ToOutpost}},
		{"local zone", `{"eventName":"CopyImage","awsRegion":"us-west-2","requestParameters":{"sourceImageId":"ami-1","destinationAvailabilityZone":"us-west-2-lax-1a"}}`,
			cloudtrail.CopyImageRequest{SourceRegion: "us-west-2", SourceImageID: "ami-1", LocalZone: "us-west-2-lax-1a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cloudtrail.CopyImage(one(t, tt.in))
			if err != nil || got != tt.want {
				t.Errorf("CopyImage() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := cloudtrail.CopyImage(one(t, `{"eventName":"CopyImage","requestParameters":{}}`)); err == nil {
		t.Error("CopyImage without sourceImageId: no error")
	}
}

func TestRunInstances(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want cloudtrail.RunInstancesRequest
	}{
		{
			"mappings and strings",
			`{"eventName":"RunInstances","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1","minCount":"1","maxCount":"1"}]},
			  "blockDeviceMapping":{"items":[{"deviceName":"/dev/sda1","ebs":{"volumeSize":"32","encrypted":"true","kmsKeyId":"alias/k"}},
			  {"deviceName":"/dev/sdb","noDevice":{}},{"deviceName":"/dev/sdc","virtualName":"ephemeral0"},{"deviceName":"/dev/sdd","ebs":{"snapshotId":"snap-1","encrypted":false}}]}},
			 "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-1"},{"instanceId":"i-2","imageId":"ami-1"}]}}}`,
			cloudtrail.RunInstancesRequest{
				ImageID: "ami-1",
				Mappings: []rules.Mapping{
					{DeviceName: "/dev/sda1", Encrypted: rules.True, KMSKeyID: "alias/k"},
					{DeviceName: "/dev/sdb", NoDevice: true},
					{DeviceName: "/dev/sdc", VirtualName: "ephemeral0"},
					{DeviceName: "/dev/sdd", SnapshotID: "snap-1", Encrypted: rules.False},
				},
				Instances: []cloudtrail.Instance{{"i-1", "ami-1"}, {"i-2", "ami-1"}},
			},
		},
		{
			"template, empty mappings, null response",
			`{"eventName":"RunInstances","requestParameters":{"blockDeviceMapping":{},"instancesSet":{"items":[{"minCount":1}]},"launchTemplate":{"launchTemplateName":"web"}},"responseElements":null}`,
			cloudtrail.RunInstancesRequest{LaunchTemplate: &cloudtrail.LaunchTemplate{Name: "web", Version: "$Default"}},
		},
		{
			"fleet: template and AMI from the response",
			`{"eventName":"RunInstances","requestParameters":{"blockDeviceMapping":{},"instancesSet":{"items":[{"minCount":1}]}},
			 "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-9","tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-1"},{"key":"aws:ec2launchtemplate:version","value":"3"}]}}]}}}`,
			cloudtrail.RunInstancesRequest{ImageID: "ami-9", LaunchTemplate: &cloudtrail.LaunchTemplate{ID: "lt-1", Version: "3"}, FromTags: true, Instances: []cloudtrail.Instance{{"i-1", "ami-9"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cloudtrail.RunInstances(one(t, tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RunInstances() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// Requests rebuilt from real third-party records (shared/testdata).
func TestRunInstancesFromSharedTestdata(t *testing.T) {
	read := func(name string) *cloudtrail.Record {
		b, err := os.ReadFile("../../../shared/testdata/cloudtrail/" + name)
		if err != nil {
			t.Skip("../shared/testdata/cloudtrail is absent")
		}
		return one(t, string(b))
	}
	t.Run("fleet launch: template from tags", func(t *testing.T) {
		got, err := cloudtrail.RunInstances(read("panther-analysis__RunInstances__9.json"))
		if err != nil || got.ImageID != "ami-013e7d3a6659f358d" || !got.FromTags ||
			got.LaunchTemplate == nil || *got.LaunchTemplate != (cloudtrail.LaunchTemplate{ID: "lt-07a0b5cea4ece8ffd", Version: "1"}) {
			t.Errorf("RunInstances = %+v, %v", got, err)
		}
	})
	t.Run("noDevice and string sizes", func(t *testing.T) {
		got, err := cloudtrail.RunInstances(read("panther-analysis__RunInstances__8.json"))
		want := []rules.Mapping{{DeviceName: "/dev/sda1"}, {DeviceName: "/dev/sdb", NoDevice: true}, {DeviceName: "/dev/sdc", NoDevice: true}}
		if err != nil || got.ImageID != "ami-085925f297f89fce1" || !reflect.DeepEqual(got.Mappings, want) || len(got.Instances) != 1 {
			t.Errorf("RunInstances = %+v, %v", got, err)
		}
	})
	t.Run("encrypted data volume", func(t *testing.T) {
		got, err := cloudtrail.RunInstances(read("awsdocs-aws-kms-developer-guide__RunInstances__1.json"))
		if err != nil || len(got.Mappings) != 2 || got.Mappings[0].Encrypted != rules.Omitted || got.Mappings[1].Encrypted != rules.True {
			t.Errorf("RunInstances = %+v, %v", got, err)
		}
	})
	t.Run("template by ID in the request", func(t *testing.T) {
		got, err := cloudtrail.RunInstances(read("panther-analysis__RunInstances__3.json"))
		if err != nil || got.LaunchTemplate == nil || *got.LaunchTemplate != (cloudtrail.LaunchTemplate{ID: "lt-0622a7ff26539376a", Version: "4"}) || got.FromTags {
			t.Errorf("RunInstances = %+v, %v", got, err)
		}
	})
}
