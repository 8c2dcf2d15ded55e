package world_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/world"
)

func values(n int, f func(int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func filter(name string, vals ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: vals}
}

// EC2 rejects a call whose filters carry more than 200 values in all, or a
// value longer than 255 characters, with FilterLimitExceeded; the fake does
// the same in every Describe call and in the live view.
func TestFilterLimits(t *testing.T) {
	w, _, err := world.Fleet(world.FleetSpec{Account: "222222222222", Region: "us-east-1", Instances: 3})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(n int) []string { return values(n, world.FleetInstanceID) }
	tests := []struct {
		name    string
		filters []ec2types.Filter
		wantErr bool
	}{
		{"no filters", nil, false},
		{"200 values", []ec2types.Filter{filter("attachment.instance-id", ids(200)...)}, false},
		{"201 values", []ec2types.Filter{filter("attachment.instance-id", ids(201)...)}, true},
		{"201 values over two filters", []ec2types.Filter{filter("attachment.instance-id", ids(150)...), filter("volume-id", values(51, world.FleetVolumeID)...)}, true},
		{"a value of 255 characters", []ec2types.Filter{filter("volume-id", strings.Repeat("v", 255))}, false},
		{"a value of 256 characters", []ec2types.Filter{filter("volume-id", strings.Repeat("v", 256))}, true},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for view, clients := range map[string]interface {
				EC2View(account, region string) *world.EC2
			}{"file": w, "live": w.Live(nil)} {
				e := clients.EC2View("222222222222", "us-east-1")
				calls := map[string]error{}
				_, calls["DescribeVolumes"] = e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: tc.filters})
				_, calls["DescribeImages"] = e.DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: tc.filters})
				_, calls["DescribeSnapshots"] = e.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: tc.filters})
				_, calls["DescribeRegions"] = e.DescribeRegions(ctx, &ec2.DescribeRegionsInput{Filters: tc.filters})
				for api, err := range calls {
					if got := code(err); (got == world.FilterLimitExceeded) != tc.wantErr || (!tc.wantErr && err != nil) {
						t.Errorf("%s %s: error %v; want FilterLimitExceeded: %v", view, api, err, tc.wantErr)
					}
				}
			}
		})
	}
}

// A 1,000-instance launch: its volumes cannot be asked for in one filter,
// but can in requests of at most MaxFilterValues values, and each volume comes
// back attached to its instance.
func TestFleetOfAThousand(t *testing.T) {
	const n = 1000
	w, record, err := world.Fleet(world.FleetSpec{Account: "222222222222", Region: "eu-west-1", Instances: n})
	if err != nil {
		t.Fatal(err)
	}
	items := cloudtrail.DecodeAll(record)
	if len(items) != 1 || items[0].Err != nil {
		t.Fatalf("record decodes to %+v", items)
	}
	var resp struct {
		InstancesSet struct {
			Items []struct{ InstanceID, ImageID string } `json:"items"`
		} `json:"instancesSet"`
	}
	if err := items[0].Record.Response(&resp); err != nil || string(items[0].Record.EventName) != "RunInstances" || len(resp.InstancesSet.Items) != n {
		t.Fatalf("record: %s with %d instances, %v; want RunInstances with %d", items[0].Record.EventName, len(resp.InstancesSet.Items), err, n)
	}
	for i, it := range resp.InstancesSet.Items {
		if it.InstanceID != world.FleetInstanceID(i) || it.ImageID != world.FleetImageID {
			t.Fatalf("instance %d: %+v", i, it)
		}
	}
	ctx := context.Background()
	e := w.EC2View("222222222222", "eu-west-1")
	all := values(n, world.FleetInstanceID)
	if _, err := e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("attachment.instance-id", all...)}}); code(err) != world.FilterLimitExceeded {
		t.Fatalf("one request for %d instances: %v; want FilterLimitExceeded", n, err)
	}
	seen := map[string]string{}
	for start := 0; start < n; start += world.MaxFilterValues {
		chunk := all[start:min(start+world.MaxFilterValues, n)]
		out, err := e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("attachment.instance-id", chunk...)}})
		if err != nil {
			t.Fatalf("chunk at %d: %v", start, err)
		}
		if len(out.Volumes) != len(chunk) {
			t.Fatalf("chunk at %d: %d volumes; want %d", start, len(out.Volumes), len(chunk))
		}
		for _, v := range out.Volumes {
			seen[aws.ToString(v.VolumeId)] = aws.ToString(v.Attachments[0].InstanceId)
		}
	}
	for i := range n {
		if got := seen[world.FleetVolumeID(i)]; got != world.FleetInstanceID(i) {
			t.Fatalf("volume %s attached to %q; want %s", world.FleetVolumeID(i), got, world.FleetInstanceID(i))
		}
	}
	// No limit on IDs is documented: all volumes by ID in one call.
	out, err := e.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: values(n, world.FleetVolumeID)})
	if err != nil || len(out.Volumes) != n {
		t.Fatalf("by %d volume IDs: %d volumes, %v", n, len(out.Volumes), err)
	}
	if _, _, err := world.Fleet(world.FleetSpec{Account: "1", Region: "r"}); err == nil {
		t.Error("a fleet of no instances built")
	}
}

func ExampleFleet() {
	w, record, _ := world.Fleet(world.FleetSpec{Account: "222222222222", Region: "us-east-1", Instances: 2})
	fmt.Println(len(w.Accounts["222222222222"]["us-east-1"].Volumes), len(record) > 0)
	// Output: 2 true
}
