package verify_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const samples = "../../events/samples/"

func load(t testing.TB, sample string) (*world.World, cloudtrail.Item) {
	t.Helper()
	w, err := world.Load(samples + sample + "/world.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(samples + sample + "/event.json")
	if err != nil {
		t.Fatal(err)
	}
	items := cloudtrail.DecodeAll(b)
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	return w, items[0]
}

// faultyClients wraps a world and fails one EC2 API with an error.
type faultyClients struct {
	*world.World
	api string
	err error
	ec2 map[string]int
}

type faultyEC2 struct {
	verify.EC2API
	c *faultyClients
}

func (c *faultyClients) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	inner, _ := c.World.EC2(ctx, account, region)
	return &faultyEC2{inner, c}, nil
}

func (f *faultyEC2) fail(api string) error {
	f.c.ec2[api]++
	if api == f.c.api {
		return f.c.err
	}
	return nil
}

func (f *faultyEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	if err := f.fail("DescribeImages"); err != nil {
		return nil, err
	}
	return f.EC2API.DescribeImages(ctx, in, o...)
}

func (f *faultyEC2) GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, o ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	if err := f.fail("GetEbsEncryptionByDefault"); err != nil {
		return nil, err
	}
	return f.EC2API.GetEbsEncryptionByDefault(ctx, in, o...)
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		retryable bool
	}{
		{"throttled", &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "slow down"}, true},
		{"server error", &smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}, true},
		{"network", &smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeImages", Err: context.DeadlineExceeded}, true},
		{"access denied", &smithy.GenericAPIError{Code: "UnauthorizedOperation"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, it := load(t, "launch-encrypted-shared")
			e := verify.New(verify.Config{Clients: &faultyClients{World: w, api: "DescribeImages", err: tt.err, ec2: map[string]int{}}})
			v := e.Evaluate(context.Background(), it)
			if v.Status != verify.StatusError || v.Retryable != tt.retryable || len(v.Findings) != 0 {
				t.Errorf("verdict = %s (%s), retryable %v; want error, retryable %v, no findings", v.Status, v.Reason, v.Retryable, tt.retryable)
			}
			if !strings.Contains(v.Reason, "describe image") {
				t.Errorf("reason %q lacks context", v.Reason)
			}
		})
	}
}

func TestCacheAndCallCounts(t *testing.T) {
	w, it := load(t, "launch-encrypted-owned")
	c := &faultyClients{World: w, ec2: map[string]int{}}
	e := verify.New(verify.Config{Clients: c, CacheTTL: time.Minute})
	v := e.Evaluate(context.Background(), it)
	if v.Status != verify.StatusCompliant {
		t.Fatalf("status %s: %s", v.Status, v.Reason)
	}
	for api, n := range v.Calls {
		if n != 1 {
			t.Errorf("first event called %s %d times; want once", api, n)
		}
	}
	v = e.Evaluate(context.Background(), it)
	if n := v.Calls["GetEbsEncryptionByDefault"] + v.Calls["GetEbsDefaultKmsKeyId"] + v.Calls["DescribeKey"]; n != 0 {
		t.Errorf("second event within the TTL made %d settings/key calls; want 0 (calls %v)", n, v.Calls)
	}
	if c.ec2["GetEbsEncryptionByDefault"] != 1 {
		t.Errorf("GetEbsEncryptionByDefault called %d times over two events; want 1", c.ec2["GetEbsEncryptionByDefault"])
	}

	noCache := verify.New(verify.Config{Clients: c})
	noCache.Evaluate(context.Background(), it)
	if c.ec2["GetEbsEncryptionByDefault"] != 2 {
		t.Errorf("without a cache GetEbsEncryptionByDefault was not asked again")
	}
}

func TestCacheExpires(t *testing.T) {
	w, it := load(t, "copy-encrypted-owned")
	c := &faultyClients{World: w, ec2: map[string]int{}}
	now := time.Unix(0, 0)
	e := verify.New(verify.Config{Clients: c, CacheTTL: time.Minute, Now: func() time.Time { return now }})
	e.Evaluate(context.Background(), it)
	now = now.Add(2 * time.Minute)
	e.Evaluate(context.Background(), it)
	if c.ec2["GetEbsEncryptionByDefault"] != 2 {
		t.Errorf("after the TTL GetEbsEncryptionByDefault was called %d times; want 2", c.ec2["GetEbsEncryptionByDefault"])
	}
}

func TestInvalidIdentity(t *testing.T) {
	w, _ := load(t, "copy-encrypted-owned")
	e := verify.New(verify.Config{Clients: w})
	for _, rec := range []string{
		`{"eventName":"CopyImage","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","recipientAccountId":"12345"}`,
		`{"eventName":"CopyImage","eventSource":"ec2.amazonaws.com","awsRegion":"../../etc","recipientAccountId":"222222222222"}`,
		`{"eventName":"CopyImage","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":{"sourceRegion":"moon-1","sourceImageId":"ami-1"}}`,
		`{"eventName":"CopyImage","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":{"sourceImageId":"ami-1"},"responseElements":"oops"}`,
	} {
		v := e.Evaluate(context.Background(), cloudtrail.DecodeAll([]byte(rec))[0])
		if v.Status != verify.StatusError || v.Retryable {
			t.Errorf("%s: status %s (%s) retryable %v; want a permanent error", rec, v.Status, v.Reason, v.Retryable)
		}
	}
}

func TestPolicyKeyThatDoesNotResolve(t *testing.T) {
	w, it := load(t, "launch-key")
	e := verify.New(verify.Config{Clients: w, Policy: verify.Policy{AllowedKeys: []verify.AllowedKey{{Key: "alias/missing"}}}})
	v := e.Evaluate(context.Background(), it)
	if v.Status != verify.StatusViolation || len(v.Findings) != 1 || v.Findings[0].Code != "DISALLOWED_KEY" {
		t.Errorf("status %s (%s), findings %+v; want one DISALLOWED_KEY: an allowed key that does not resolve allows nothing", v.Status, v.Reason, v.Findings)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "alias/missing") {
		t.Errorf("warnings %q; want one naming alias/missing", v.Warnings)
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := verify.ParsePolicy([]byte(`{"allowedKeys":[{"key":"alias/golden","accounts":["222222222222"],"regions":["eu-west-1"]}]}`))
	if err != nil || len(p.AllowedKeys) != 1 || p.RequireEncryption != nil {
		t.Errorf("ParsePolicy = %+v, %v", p, err)
	}
	for _, bad := range []string{`{"requireEncryptoin":true}`, `{"allowedKeys":[{"key":""}]}`, `[]`} {
		if _, err := verify.ParsePolicy([]byte(bad)); err == nil {
			t.Errorf("ParsePolicy(%s): no error", bad)
		}
	}
}

func TestOutOfScopeIsSkipped(t *testing.T) {
	w, _ := load(t, "copy-encrypted-owned")
	e := verify.New(verify.Config{Clients: w})
	for in, want := range map[string]string{
		`{"detail-type":"EC2 Instance State-change Notification","account":"222222222222","region":"us-east-1","detail":{"state":"running"}}`: "unsupported:detail-type:EC2 Instance State-change Notification",
		`{"eventName":"DeleteVolume","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222"}`:          "unsupported:event:DeleteVolume",
		`{"eventName":"CopyImage","eventSource":"ec2.amazonaws.com","errorCode":"Client.DryRunOperation"}`:                                    "request-failed:Client.DryRunOperation",
	} {
		v := e.Evaluate(context.Background(), cloudtrail.DecodeAll([]byte(in))[0])
		if v.Status != verify.StatusSkipped || v.Reason != want {
			t.Errorf("%s: %s %q; want skipped %q", in, v.Status, v.Reason, want)
		}
	}
}
