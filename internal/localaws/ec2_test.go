package localaws_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// A 1,000-instance launch through the SDK: one filter of 1,000 instance IDs
// is FilterLimitExceeded (a client error, not retried), requests of 200
// values find every volume.
func TestFleetThroughSDK(t *testing.T) {
	const n = 1000
	w, _, err := world.Fleet(world.FleetSpec{Account: "222222222222", Region: "us-east-1", Instances: n})
	if err != nil {
		t.Fatal(err)
	}
	s := start(t)
	s.SetWorld(w)
	api := ec2.NewFromConfig(sdkConfigAs(t, s.URL(), "222222222222"))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = world.FleetInstanceID(i)
	}
	byInstances := func(ids []string) (*ec2.DescribeVolumesOutput, error) {
		return api.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: ids}}})
	}
	if _, err := byInstances(ids); errCode(err) != world.FilterLimitExceeded {
		t.Fatalf("all %d at once: %v; want %s", n, err, world.FilterLimitExceeded)
	}
	if c := s.Counts()["DescribeVolumes"]; c != 1 {
		t.Errorf("DescribeVolumes served %d times; want 1 (FilterLimitExceeded is not retried)", c)
	}
	found := 0
	for i := 0; i < n; i += world.MaxFilterValues {
		out, err := byInstances(ids[i:min(i+world.MaxFilterValues, n)])
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Volumes {
			if aws.ToString(v.Attachments[0].InstanceId) == "" || !aws.ToBool(v.Encrypted) {
				t.Fatalf("volume %+v", v)
			}
		}
		found += len(out.Volumes)
	}
	if found != n {
		t.Errorf("%d volumes found; want %d", found, n)
	}
	long := strings.Repeat("i", world.MaxFilterValueLength+1)
	if _, err := byInstances([]string{long}); errCode(err) != world.FilterLimitExceeded {
		t.Errorf("a %d-character value: %v", len(long), err)
	}
}

// A copy that is pending for its first two describe calls, then available
// with its snapshot, as the real SDK sees it; SetWorld starts afresh.
func TestLaterThroughSDK(t *testing.T) {
	w, err := world.Parse(strings.NewReader(`{"accounts":{"222222222222":{"us-east-1":{
	  "images":[{"ImageId":"ami-new","State":"pending"}],
	  "later":[{"afterCalls":2,"images":[{"ImageId":"ami-new","State":"available","BlockDeviceMappings":[{"DeviceName":"/dev/xvda","Ebs":{"SnapshotId":"snap-new","Encrypted":true}}]}],
	            "snapshots":[{"SnapshotId":"snap-new","Encrypted":true,"KmsKeyId":"arn:aws:kms:us-east-1:222222222222:key/def"}]}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := start(t)
	api := ec2.NewFromConfig(sdkConfigAs(t, s.URL(), "222222222222"))
	for round := range 2 {
		s.SetWorld(w)
		var states []string
		for range 4 {
			out, err := api.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-new"}})
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, string(out.Images[0].State)+"/"+string(rune('0'+len(out.Images[0].BlockDeviceMappings))))
		}
		if got := strings.Join(states, " "); got != "pending/0 pending/0 available/1 available/1" {
			t.Errorf("round %d: %s", round, got)
		}
	}
}
