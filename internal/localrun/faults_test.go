package localrun_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
)

// ClearFaults ends an outage at the gateway: it says how many calls the
// faults left would still have affected, and the next calls go through.
func TestGatewayClearFaults(t *testing.T) {
	s := startSNS(t)
	n, _ := clients(t, s)
	s.Gateway.Inject(localaws.Fault{API: "sns", Kind: "unavailable", Count: 5})
	s.Gateway.Inject(localaws.Fault{API: "SendMessage", Kind: "5xx", Count: 2})
	if left := s.Gateway.ClearFaults(); left != 7 {
		t.Fatalf("ClearFaults: %d calls left; want 7", left)
	}
	before := s.Gateway.Counts()["Publish"]
	if _, err := n.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(s.TopicARN), Message: aws.String(`{"eventID":"e"}`)}); err != nil {
		t.Fatalf("Publish after ClearFaults: %v", err)
	}
	if got := s.Gateway.Counts()["Publish"] - before; got != 1 {
		t.Errorf("%d Publish calls; want 1, answered at once", got)
	}
	if left := s.Gateway.ClearFaults(); left != 0 {
		t.Errorf("ClearFaults again: %d", left)
	}
}

// A warm function learns its identity and assumes a member account's reader
// role once; with ColdStart every sample gets a fresh function, which makes
// both STS calls again (what the tally's STS faults need to reach).
func TestColdStart(t *testing.T) {
	bootstrap, rie := binaries(t)
	one, err := localrun.LoadSamples("../../events/samples/launch-encrypted-shared", "")
	if err != nil {
		t.Fatal(err)
	}
	// The same event twice, one world and one policy: a warm function would
	// evaluate both.
	samples := []localrun.Sample{one[0], one[0]}
	for _, tc := range []struct {
		cold bool
		want int // GetCallerIdentity and AssumeRole calls each
	}{{false, 1}, {true, 2}} {
		t.Run(map[bool]string{false: "warm", true: "cold"}[tc.cold], func(t *testing.T) {
			var out strings.Builder
			results, aws, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples,
				FunctionOutput: &out, ColdStart: tc.cold})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			for _, r := range results {
				if r.Err != nil || len(r.Verdicts) != 1 {
					t.Fatalf("%s: err %v, %d verdicts\n%s", r.Sample, r.Err, len(r.Verdicts), out.String())
				}
			}
			c := aws.Counts()
			if c["GetCallerIdentity"] != tc.want || c["AssumeRole"] != tc.want {
				t.Errorf("GetCallerIdentity %d, AssumeRole %d; want %d each", c["GetCallerIdentity"], c["AssumeRole"], tc.want)
			}
		})
	}
}
