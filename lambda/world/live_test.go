package world_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// A copy pending without snapshots, a snapshot and a volume that appear, an
// image that goes away.
const laterDoc = `{"accounts":{"222222222222":{"us-east-1":{
  "images":[{"ImageId":"ami-new","State":"pending"},{"ImageId":"ami-old","State":"available"}],
  "instances":[{"InstanceId":"i-1"}],
  "later":[
    {"afterCalls":2,"images":[{"ImageId":"ami-new","State":"available","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"SnapshotId":"snap-new"}}]}],
     "snapshots":[{"SnapshotId":"snap-new","Encrypted":true,"KmsKeyId":"arn:aws:kms:us-east-1:222222222222:key/def"}]},
    {"afterSeconds":30,"volumes":[{"VolumeId":"vol-1","Encrypted":true,"Attachments":[{"InstanceId":"i-1","Device":"/dev/xvda"}]}]},
    {"afterCalls":1,"afterSeconds":10,"removed":["ami-old"]}
  ]}}}}`

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLater(t *testing.T) {
	w, err := world.Parse(strings.NewReader(laterDoc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	image := func(e *world.EC2, id string) (string, int, string) {
		out, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil {
			return "", 0, code(err)
		}
		return string(out.Images[0].State), len(out.Images[0].BlockDeviceMappings), ""
	}
	volumes := func(e *world.EC2) int {
		out, err := e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("attachment.instance-id", "i-1")}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Volumes)
	}

	t.Run("pending for its first two calls, then available with its snapshot", func(t *testing.T) {
		e := w.Live(nil).EC2View("222222222222", "us-east-1")
		// Calls that would not show the entry's objects do not count.
		for range 3 {
			if _, err := e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-other"}}); code(err) != "InvalidSnapshot.NotFound" {
				t.Fatalf("snap-other: %v", err)
			}
		}
		for i, want := range []string{"pending", "pending", "available", "available"} {
			if state, mappings, _ := image(e, "ami-new"); state != want || (want == "available") != (mappings == 1) {
				t.Fatalf("call %d: %s with %d mappings; want %s", i+1, state, mappings, want)
			}
		}
		out, err := e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-new"}})
		if err != nil || aws.ToString(out.Snapshots[0].KmsKeyId) == "" {
			t.Fatalf("snap-new after the image became available: %+v, %v", out, err)
		}
	})
	t.Run("a snapshot asked for counts its own calls", func(t *testing.T) {
		e := w.Live(nil).EC2View("222222222222", "us-east-1")
		for i, want := range []string{"InvalidSnapshot.NotFound", "InvalidSnapshot.NotFound", ""} {
			if _, err := e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-new"}}); code(err) != want {
				t.Fatalf("call %d: %v; want %q", i+1, err, want)
			}
		}
	})
	t.Run("a volume appears after 30 seconds", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
		e := w.Live(c.now).EC2View("222222222222", "us-east-1")
		for _, step := range []struct {
			advance time.Duration
			want    int
		}{{0, 0}, {29 * time.Second, 0}, {time.Second, 1}, {time.Hour, 1}} {
			c.t = c.t.Add(step.advance)
			if got := volumes(e); got != step.want {
				t.Fatalf("after %v more: %d volumes; want %d", step.advance, got, step.want)
			}
		}
	})
	t.Run("both conditions must hold", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
		e := w.Live(c.now).EC2View("222222222222", "us-east-1")
		for i, step := range []struct {
			advance time.Duration
			want    string
		}{{0, ""}, {0, ""}, {10 * time.Second, "InvalidAMIID.NotFound"}} {
			c.t = c.t.Add(step.advance)
			if _, _, got := image(e, "ami-old"); got != step.want {
				t.Fatalf("call %d: error %q; want %q", i+1, got, step.want)
			}
		}
	})
	t.Run("the file as written never changes", func(t *testing.T) {
		e := w.EC2View("222222222222", "us-east-1")
		for range 5 {
			if state, _, _ := image(e, "ami-new"); state != "pending" {
				t.Fatalf("replay saw %s", state)
			}
			if volumes(e) != 0 {
				t.Fatal("replay saw a later volume")
			}
		}
	})
	t.Run("each live view starts afresh", func(t *testing.T) {
		a, b := w.Live(nil).EC2View("222222222222", "us-east-1"), w.Live(nil).EC2View("222222222222", "us-east-1")
		image(a, "ami-new")
		image(a, "ami-new")
		if state, _, _ := image(b, "ami-new"); state != "pending" {
			t.Fatalf("a second view saw %s after the first's calls", state)
		}
	})
}

func TestParseLater(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"unknown field in an entry", `{"accounts":{"1":{"us-east-1":{"later":[{"afterCals":2}]}}}}`},
		{"negative calls", `{"accounts":{"1":{"us-east-1":{"later":[{"afterCalls":-1}]}}}}`},
		{"not a list", `{"accounts":{"1":{"us-east-1":{"later":{"afterCalls":1}}}}}`},
		{"unknown organization field", `{"organization":{"accounts":[],"mgmt":"1"}}`},
		{"event without a time", `{"accounts":{"1":{"us-east-1":{"events":[{"eventName":"CopyImage"}]}}}}`},
		{"event that is not a record", `{"accounts":{"1":{"us-east-1":{"events":["CopyImage"]}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := world.Parse(strings.NewReader(tc.doc)); err == nil {
				t.Errorf("Parse(%s): no error", tc.doc)
			}
		})
	}
}
