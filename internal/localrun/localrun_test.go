package localrun_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// build compiles a package of this module (or a pinned tool) into dir.
func build(t *testing.T, dir, name, pkg string, env ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestEndToEnd is the real chain: the bootstrap under the runtime interface
// emulator, the SDK talking HTTP to localaws (with an STS AssumeRole into the
// member account) and to goaws, SNS delivering to the SQS queue. For every
// sample, the queue receives exactly one message per violating event, whose
// body and attributes match want.json, and nothing otherwise.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and the emulator")
	}
	bin := t.TempDir()
	bootstrap := build(t, bin, "bootstrap", "./lambda/handler", "CGO_ENABLED=0")
	rie := build(t, bin, "aws-lambda-rie", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	samples, err := localrun.LoadSamples("../../events/samples", "")
	if err != nil {
		t.Fatal(err)
	}
	var fnOut strings.Builder
	results, aws, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples, FunctionOutput: &fnOut})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, fnOut.String())
	}
	if len(results) != len(samples) {
		t.Fatalf("%d results for %d samples", len(results), len(samples))
	}
	for _, r := range results {
		t.Run(r.Sample, func(t *testing.T) {
			if r.Err != nil {
				t.Fatalf("function: %v", r.Err)
			}
			want, err := os.ReadFile(filepath.Join("../../events/samples", r.Sample, "want.json"))
			if err != nil {
				t.Fatal(err)
			}
			var v verify.Verdict
			if err := json.Unmarshal(want, &v); err != nil {
				t.Fatal(err)
			}
			if len(r.Verdicts) != 1 {
				t.Fatalf("logged %d verdicts; want 1", len(r.Verdicts))
			}
			if !sameJSON(t, r.Verdicts[0], want) {
				t.Errorf("logged verdict\n%s\nwant\n%s", r.Verdicts[0], want)
			}
			if v.Status != verify.StatusViolation {
				if len(r.Notifications) != 0 {
					t.Fatalf("%s verdict sent %d notifications", v.Status, len(r.Notifications))
				}
				return
			}
			if len(r.Notifications) != 1 {
				t.Fatalf("violation sent %d notifications; want 1", len(r.Notifications))
			}
			n := r.Notifications[0]
			if !sameJSON(t, []byte(n.Message), want) {
				t.Errorf("notification body\n%s\nwant\n%s", n.Message, want)
			}
			codes, _ := json.Marshal(v.Codes())
			for k, w := range map[string]string{"status": "violation", "severity": v.Severity(), "findings": string(codes),
				"account": v.Account, "region": v.Region, "eventName": v.EventName} {
				if got := n.MessageAttributes[k]; got != w {
					t.Errorf("attribute %s = %q; want %q", k, got, w)
				}
			}
			if n.Subject == "" || len(n.Subject) > 100 {
				t.Errorf("subject %q", n.Subject)
			}
		})
	}
	counts := aws.Counts()
	if counts["AssumeRole"] == 0 || counts["DescribeImages"] == 0 || counts["DescribeKey"] == 0 {
		t.Errorf("the function did not reach localaws through the SDK: %v", counts)
	}
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}
