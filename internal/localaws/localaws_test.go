package localaws_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const central = "111111111111"

// sdkConfig is what the Lambda's config.LoadDefaultConfig sees, pointed at
// the server through the standard endpoint variables.
func sdkConfig(t *testing.T, url string) aws.Config {
	t.Helper()
	return sdkConfigAs(t, url, central)
}

// sdkConfigAs is sdkConfig calling as another account.
func sdkConfigAs(t *testing.T, url, account string) aws.Config {
	t.Helper()
	for _, svc := range []string{"EC2", "KMS", "STS", "CLOUDTRAIL", "ORGANIZATIONS", "SECURITYHUB", "EVENTBRIDGE"} {
		t.Setenv("AWS_ENDPOINT_URL_"+svc, url)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(localaws.AccessKeyFor(account), "local", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
		}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func start(t *testing.T) *localaws.Server {
	t.Helper()
	s := localaws.New(&world.World{}, central)
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func loadSample(t *testing.T, dir string) (*world.World, verify.Policy, cloudtrail.Item, []byte) {
	t.Helper()
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pol verify.Policy
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		if pol, err = verify.LoadPolicy(filepath.Join(dir, "policy.json")); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	return w, pol, cloudtrail.DecodeAll(ev)[0], want
}

// Every sample evaluated through the real SDK clients (STS AssumeRole into
// the member account, EC2 Query, KMS JSON) gives exactly the verdict the
// world-file lookups give.
func TestSamplesThroughSDK(t *testing.T) {
	s := start(t)
	cfg := sdkConfig(t, s.URL())
	clients := accounts.New(cfg, "")
	dirs, _ := filepath.Glob("../../events/samples/*")
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			w, pol, item, want := loadSample(t, dir)
			if bytes.Count(bytes.TrimSpace(want), []byte("\n")) > 0 {
				t.Skip("a sample of several records is replay's (settings applied by eventTime), not one event's")
			}
			s.SetWorld(w)
			e := verify.New(verify.Config{Clients: clients, Policy: pol})
			v := e.Evaluate(context.Background(), item)
			got, _ := v.JSON()
			if string(got)+"\n" != string(want) {
				t.Errorf("through the SDK:\n%s\nwant\n%s", got, want)
			}
		})
	}
	if n := s.Counts()["AssumeRole"]; n != 1 {
		t.Errorf("AssumeRole called %d times across all samples; want 1 (credentials are cached per account)", n)
	}
}

func TestFaults(t *testing.T) {
	s := start(t)
	cfg := sdkConfig(t, s.URL())
	w, pol, item, want := loadSample(t, "../../events/samples/launch-encrypted-shared")
	s.SetWorld(w)
	clients := accounts.New(cfg, "")

	// Throttling twice: the SDK retries and the verdict is unchanged.
	s.Inject(localaws.Fault{API: "DescribeImages", Kind: "throttle", Count: 2})
	s.ResetCounts()
	v := verify.New(verify.Config{Clients: clients, Policy: pol}).Evaluate(context.Background(), item)
	if got, _ := v.JSON(); string(got)+"\n" != string(want) {
		t.Errorf("after throttling: %s", got)
	}
	if n := s.Counts()["DescribeImages"]; n != 3 {
		t.Errorf("DescribeImages served %d times; want 3 (two throttled, one answered)", n)
	}

	// Server errors beyond the SDK's retries: a retryable error, never a finding.
	s.Inject(localaws.Fault{API: "DescribeVolumes", Kind: "5xx", Count: 10})
	v = verify.New(verify.Config{Clients: clients, Policy: pol}).Evaluate(context.Background(), item)
	if v.Status != verify.StatusError || !v.Retryable || len(v.Findings) != 0 {
		t.Errorf("after 5xx: status %s retryable %v findings %d (%s)", v.Status, v.Retryable, len(v.Findings), v.Reason)
	}
}

func TestLoopbackOnly(t *testing.T) {
	s := localaws.New(&world.World{}, central)
	if err := s.Start("0.0.0.0:0"); err == nil {
		s.Close()
		t.Fatal("Start on 0.0.0.0 succeeded; want loopback only")
	}
}
