package localaws_test

import (
	"context"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// A launch of 1,000 instances, through the real SDK clients and localaws,
// which rejects a Describe call beyond EC2's limits as EC2 does: the engine
// splits its requests and judges every volume.
func TestLargeLaunchThroughSDK(t *testing.T) {
	const n = 1000
	spec := world.FleetSpec{Account: "222222222222", Region: "us-east-1", Instances: n}
	w, record, err := world.Fleet(spec)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t)
	s.SetWorld(w)
	e := verify.New(verify.Config{Clients: accounts.New(sdkConfig(t, s.URL()), "")})
	v := e.Evaluate(context.Background(), cloudtrail.DecodeAll(record)[0])
	if v.Status != verify.StatusCompliant || len(v.Resources) != n {
		t.Fatalf("status %s (%s), %d resources; want compliant with %d", v.Status, v.Reason, len(v.Resources), n)
	}
	for _, r := range v.Resources {
		if r.Actual == nil || r.Actual.KMSKeyARN != spec.FleetKeyARN() {
			t.Fatalf("resource %+v not judged on the fleet's key", r)
		}
	}
	want := (n + world.MaxFilterValues - 1) / world.MaxFilterValues
	// localaws rejects a call beyond EC2's limits (FilterLimitExceeded), so a
	// compliant verdict already says every call was within them; the count
	// says the calls were as few as the limit allows, none retried (a large
	// answer read on a connection closed under it was retried: see
	// accounts.HTTPClient (bodyCopy)).
	if got := s.Counts()["DescribeVolumes"]; got != want {
		t.Errorf("DescribeVolumes called %d times; want %d (%d instances, %d filter values a call)", got, want, n, world.MaxFilterValues)
	}
	if got := v.Calls["DescribeVolumes"]; got != want {
		t.Errorf("the engine called DescribeVolumes %d times; want %d", got, want)
	}
}
