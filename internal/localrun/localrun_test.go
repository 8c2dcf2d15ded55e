package localrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

var (
	binOnce              sync.Once
	binDir               string
	bootstrap, rie       string
	binErr               error
	recheckFast          = []string{"RECHECK_BACKOFF=1s", "RECHECK_DEADLINE=6s"}
	recheckFastDeadlineS = 6
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds the bootstrap and the pinned emulator once for the package.
func binaries(t *testing.T) (string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the bootstrap and the emulator")
	}
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "localrun-bin"); binErr != nil {
			return
		}
		build := func(name, pkg string, env ...string) string {
			out := filepath.Join(binDir, name)
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), env...)
			if b, err := cmd.CombinedOutput(); err != nil && binErr == nil {
				binErr = err
				t.Logf("go build %s:\n%s", pkg, b)
			}
			return out
		}
		bootstrap = build("bootstrap", "./lambda/handler", "CGO_ENABLED=0")
		rie = build("aws-lambda-rie", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return bootstrap, rie
}

// TestEndToEnd is the real chain: the bootstrap under the runtime interface
// emulator, the SDK talking HTTP to localaws (with an STS AssumeRole into the
// member account) and to goaws through the gateway, SNS delivering to the
// SQS queue, and the re-check queue played as an event source mapping. For
// every sample the first verdict is want.json's; a violation or a permanent
// error sends one message whose body and attributes match it, anything else
// none at first; a pending sample is checked again until it ends, within the
// re-check deadline, and the queue is empty at the end.
func TestEndToEnd(t *testing.T) {
	bootstrap, rie := binaries(t)
	samples, err := localrun.LoadSamples("../../events/samples", "")
	if err != nil {
		t.Fatal(err)
	}
	var fnOut strings.Builder
	results, aws, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples,
		FunctionOutput: &fnOut, Settings: recheckFast})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, fnOut.String())
	}
	if len(results) != len(samples) {
		t.Fatalf("%d results for %d samples", len(results), len(samples))
	}
	for _, r := range results {
		t.Run(r.Sample, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("../../events/samples", r.Sample, "want.json"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(bytes.TrimSpace(want), []byte("\n")) > 0 {
				t.Skip("a sample of several records (a log file) is replay's, not an EventBridge event")
			}
			if r.Err != nil {
				t.Fatalf("function: %v", r.Err)
			}
			var v verify.Verdict
			if err := json.Unmarshal(want, &v); err != nil {
				t.Fatal(err)
			}
			if len(r.Verdicts) != 1+len(r.Rechecks) {
				t.Fatalf("logged %d verdicts for %d re-checks; want one each and one first", len(r.Verdicts), len(r.Rechecks))
			}
			if !sameJSON(t, r.Verdicts[0], want) {
				t.Errorf("logged verdict\n%s\nwant\n%s", r.Verdicts[0], want)
			}
			checkRechecks(t, r, v)
			first := r.Notifications
			if len(r.Rechecks) > 0 {
				first = first[:len(first)-countNotes(r.Rechecks)]
			}
			if v.Status != verify.StatusViolation && (v.Status != verify.StatusError || v.Retryable) {
				if len(first) != 0 {
					t.Fatalf("%s verdict sent %d notifications", v.Status, len(first))
				}
				return
			}
			if len(first) != 1 {
				t.Fatalf("%s verdict sent %d notifications; want 1", v.Status, len(first))
			}
			n := first[0]
			if !sameJSON(t, withoutDedupeKeys(t, n.Message, len(v.Findings)), want) {
				t.Errorf("notification body\n%s\nwant\n%s", n.Message, want)
			}
			codes, _ := json.Marshal(v.Codes())
			attrs := map[string]string{"status": v.Status, "account": v.Account, "region": v.Region, "eventName": v.EventName}
			if v.Status == verify.StatusViolation {
				attrs["severity"], attrs["findings"] = v.Severity(), string(codes)
			}
			for k, w := range attrs {
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

func countNotes(rs []localrun.Recheck) int {
	n := 0
	for _, r := range rs {
		n += len(r.Notifications)
	}
	return n
}

// checkRechecks: a sample whose first verdict is pending is checked again,
// by attempts 1, 2, ... of its own event, each later than the one before,
// until a verdict that is not pending (past the deadline an error
// still-pending:<age>, published); any other sample is not checked again.
func checkRechecks(t *testing.T, r localrun.Result, first verify.Verdict) {
	t.Helper()
	// A violation beside a result not visible yet is checked again too, until
	// the deadline's notice names what was never seen (formats.md §4).
	if first.Status != verify.StatusPending && len(first.Pending()) == 0 {
		if len(r.Rechecks) != 0 {
			t.Fatalf("a %s verdict was checked again %d times", first.Status, len(r.Rechecks))
		}
		return
	}
	if len(r.Rechecks) == 0 {
		t.Fatal("a pending verdict was never checked again")
	}
	for i, rc := range r.Rechecks {
		if rc.EventID != first.EventID || rc.Attempt != i+1 || rc.Failed || rc.Err != nil || len(rc.Verdicts) != 1 {
			t.Fatalf("re-check %d: %+v", i+1, rc)
		}
		if i > 0 && rc.After <= r.Rechecks[i-1].After {
			t.Fatalf("re-check %d came %v after the first look, not after re-check %d (%v)", i+1, rc.After, i, r.Rechecks[i-1].After)
		}
	}
	last := r.Rechecks[len(r.Rechecks)-1]
	var v verify.Verdict
	if err := json.Unmarshal(last.Verdicts[0], &v); err != nil {
		t.Fatal(err)
	}
	if v.Status == verify.StatusPending || (v.Status == verify.StatusError && len(last.Notifications) != 1) {
		t.Fatalf("last re-check, %v after the first look: %s %q with %d notifications; want an end (an error such as still-pending:<age> is published)",
			last.After, v.Status, v.Reason, len(last.Notifications))
	}
	if v.Status == verify.StatusError && !strings.HasPrefix(v.Reason, "still-pending:") {
		t.Errorf("a pending event ended as error %q", v.Reason)
	}
	if len(r.Rechecks) > recheckFastDeadlineS+1 {
		t.Errorf("%d re-checks with 1s apart and a %ds deadline", len(r.Rechecks), recheckFastDeadlineS)
	}
}

// A copy pending when its event arrives, whose AMI shows its snapshot on the
// account's default key a second later, is reported as DEFAULT_KEY_FALLBACK
// by the first re-check, through the whole chain.
func TestPendingCopyReportedOnRecheck(t *testing.T) {
	bootstrap, rie := binaries(t)
	samples, err := localrun.LoadSamples("../../events/samples/copy-pending", "")
	if err != nil {
		t.Fatal(err)
	}
	const defaultKey = "arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1"
	region := samples[0].World.Accounts["222222222222"]["us-east-1"]
	region.Later = []world.Later{{AfterSeconds: 1,
		Images: []ec2types.Image{{ImageId: aws.String("ami-0d1100000000000f1"), OwnerId: aws.String("222222222222"), State: ec2types.ImageStateAvailable,
			RootDeviceName: aws.String("/dev/xvda"), BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"),
				Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0d11000000000000f"), Encrypted: aws.Bool(true)}}}}},
		Snapshots: []ec2types.Snapshot{{SnapshotId: aws.String("snap-0d11000000000000f"), OwnerId: aws.String("222222222222"),
			State: ec2types.SnapshotStateCompleted, Encrypted: aws.Bool(true), KmsKeyId: aws.String(defaultKey)}},
	}}
	var fnOut strings.Builder
	results, _, err := localrun.Run(context.Background(), localrun.Options{RIE: rie, Bootstrap: bootstrap, Samples: samples,
		FunctionOutput: &fnOut, Settings: []string{"RECHECK_BACKOFF=1s", "RECHECK_DEADLINE=1m"}})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, fnOut.String())
	}
	r := results[0]
	if r.Err != nil || len(r.Rechecks) != 1 || len(r.Notifications) != 1 {
		t.Fatalf("err %v, %d re-checks, %d notifications; want one re-check that notifies\n%s", r.Err, len(r.Rechecks), len(r.Notifications), fnOut.String())
	}
	var first, again verify.Verdict
	json.Unmarshal(r.Verdicts[0], &first)
	json.Unmarshal(r.Rechecks[0].Verdicts[0], &again)
	if first.Status != verify.StatusPending || again.Status != verify.StatusViolation || strings.Join(again.Codes(), ",") != "DEFAULT_KEY_FALLBACK" {
		t.Fatalf("first %s, re-check %s %v; want pending, then DEFAULT_KEY_FALLBACK", first.Status, again.Status, again.Codes())
	}
	if rc := r.Rechecks[0]; rc.Attempt != 1 || len(rc.Notifications) != 1 || rc.Notifications[0].MessageAttributes["findings"] != `["DEFAULT_KEY_FALLBACK"]` {
		t.Fatalf("re-check %+v", rc)
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

// withoutDedupeKeys returns a published body without its dedupeKeys, after
// checking it carries one per finding (a notice, none or one).
func withoutDedupeKeys(t *testing.T, body string, findings int) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	keys, _ := m["dedupeKeys"].([]any)
	if findings > 0 && len(keys) != findings {
		t.Errorf("%d dedupeKeys for %d findings", len(keys), findings)
	}
	delete(m, "dedupeKeys")
	b, _ := json.Marshal(m)
	return b
}
