package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// An audit's violations imported into Security Hub through localaws: one
// finding per event, resource and code, each well-formed (localaws checks
// the ASFF), and field by field what the verdict says. Auditing again
// updates the same findings.
func TestAuditSecurityHubRoundTrip(t *testing.T) {
	skipLong(t)
	w, _ := auditWorld(t, false)
	s := startLocal(t, w)
	args := []string{"audit", "--since", "2026-01-01", "--accounts", "222222222222,333333333333", "--regions", "us-east-1,eu-west-1", "--format", "json", "--securityhub"}
	_, stdout, stderr := cli(t, args...)
	verdicts := verdictLines(t, stdout)

	type want struct {
		v verify.Verdict
		f verify.Finding
		r verify.Resource
	}
	wants := map[string]want{}
	for _, line := range verdicts {
		var v verify.Verdict
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		for _, f := range v.Findings {
			var res verify.Resource
			for _, r := range v.Resources {
				if r.Resource == f.Resource {
					res = r
				}
			}
			wants[securityhub.Key{EventID: v.EventID, Resource: f.Resource, Code: f.Code}.ID()] = want{v, f, res}
		}
	}
	if len(wants) < 10 {
		t.Fatalf("%d findings; the samples have more", len(wants))
	}
	imported := s.ImportedFindings()
	if len(imported) != len(wants) {
		t.Errorf("%d findings imported; want %d", len(imported), len(wants))
	}
	if line := fmt.Sprintf("Security Hub: %d of %d findings imported into %s us-east-1", len(wants), len(wants), securityAccount); !strings.Contains(stderr, line) {
		t.Errorf("stderr lacks %q:\n%s", line, stderr)
	}
	product := "arn:aws:securityhub:us-east-1:" + securityAccount + ":product/" + securityAccount + "/default"
	for _, imp := range imported {
		f := imp.Finding
		id := aws.ToString(f.Id)
		w, ok := wants[id]
		if !ok {
			t.Errorf("imported %s, which no verdict raised", id)
			continue
		}
		checks := []struct {
			field     string
			got, want any
		}{
			{"accepted", imp.ErrorCode + imp.ErrorMessage, ""},
			{"imported in", imp.Account + " " + imp.Region, securityAccount + " us-east-1"},
			{"ProductArn", aws.ToString(f.ProductArn), product},
			{"AwsAccountId", aws.ToString(f.AwsAccountId), securityAccount},
			{"GeneratorId", aws.ToString(f.GeneratorId), w.r.Rule},
			{"Severity.Label", f.Severity.Label, shtypes.SeverityLabel(strings.ToUpper(w.f.Severity))},
			{"Compliance.Status", f.Compliance.Status, shtypes.ComplianceStatusFailed},
			{"Workflow.Status", f.Workflow.Status, shtypes.WorkflowStatusNew},
			{"RecordState", f.RecordState, shtypes.RecordStateActive},
			{"CreatedAt", aws.ToString(f.CreatedAt), strings.TrimSuffix(w.v.EventTime, "Z") + ".000Z"},
			{"ProductFields account", f.ProductFields["ebsguard/Account"], w.v.Account},
			{"ProductFields code", f.ProductFields["ebsguard/Code"], w.f.Code},
		}
		for _, c := range checks {
			if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
				t.Errorf("%s: %s = %v; want %v", id, c.field, c.got, c.want)
			}
		}
		if len(f.Resources) == 0 || !strings.HasSuffix(aws.ToString(f.Resources[0].Id), "/"+w.f.Resource) {
			t.Errorf("%s: first resource %v; want the %s", id, f.Resources, w.f.Resource)
			continue
		}
		// What the kind creates, from the registry: Security Hub has a type
		// for a volume, none for a snapshot; a settings change is the account's.
		wantType := "Other"
		if k, _ := rules.KindByEvent(w.v.EventName); k.Creates == "volume" {
			wantType = "AwsEc2Volume"
		}
		if _, setting := rules.SettingChangeByEvent(w.v.EventName); setting {
			wantType = "AwsAccount"
		}
		if got := aws.ToString(f.Resources[0].Type); got != wantType {
			t.Errorf("%s: resource type %s; want %s", id, got, wantType)
		}
		if key := w.r.Actual.KMSKeyARN; key != "" && aws.ToString(f.Resources[len(f.Resources)-1].Id) != key {
			t.Errorf("%s: last resource %s; want the key %s", id, aws.ToString(f.Resources[len(f.Resources)-1].Id), key)
		}
	}

	// Again: the same Ids, updated rather than added.
	cli(t, args...)
	again := s.ImportedFindings()[len(imported):]
	if len(again) != len(imported) {
		t.Fatalf("second audit imported %d findings; want %d", len(again), len(imported))
	}
	for _, imp := range again {
		if _, ok := wants[aws.ToString(imp.Finding.Id)]; !ok {
			t.Errorf("second audit imported a new Id %s", aws.ToString(imp.Finding.Id))
		}
	}
}

// replay --securityhub imports a sample's findings through localaws.
func TestReplaySecurityHub(t *testing.T) {
	skipLong(t)
	s := startLocal(t, &world.World{})
	code, _, stderr := cli(t, "replay", "--format", "json", "--securityhub", samplesDir+"/copy-encrypted-shared")
	if code != 0 || !strings.Contains(stderr, "Security Hub: 1 of 1 findings imported into "+securityAccount+" us-east-1") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	if got := s.ImportedFindings(); len(got) != 1 || got[0].ErrorCode != "" || aws.ToString(got[0].Finding.GeneratorId) != "copy/encrypted/shared" {
		t.Errorf("imported %+v", got)
	}
	s.Inject(localaws.Fault{API: "BatchImportFindings", Kind: "5xx", Count: 10})
	if code, _, stderr := cli(t, "replay", "--format", "json", "--securityhub", samplesDir+"/copy-encrypted-shared"); code != 1 || !strings.Contains(stderr, "0 of 1 findings imported") {
		t.Errorf("with Security Hub failing: exit %d, stderr %s; want 1 and the failure", code, stderr)
	}
}

// fakeHub answers BatchImportFindings, rejecting the findings it is told to.
type fakeHub struct {
	calls  []int
	reject map[string]string // Id -> error code
	err    error
}

func (f *fakeHub) BatchImportFindings(_ context.Context, in *awssh.BatchImportFindingsInput, _ ...func(*awssh.Options)) (*awssh.BatchImportFindingsOutput, error) {
	f.calls = append(f.calls, len(in.Findings))
	if f.err != nil {
		return nil, f.err
	}
	out := &awssh.BatchImportFindingsOutput{}
	for _, x := range in.Findings {
		if code, ok := f.reject[aws.ToString(x.Id)]; ok {
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: x.Id, ErrorCode: aws.String(code), ErrorMessage: aws.String("no")})
		}
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(in.Findings) - len(out.FailedFindings)))
	return out, nil
}

type fakeCaller struct{ arn string }

func (f fakeCaller) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Arn: aws.String(f.arn)}, nil
}

// violation is a verdict with n findings.
func violation(id string, n int) verify.Verdict {
	v := verify.Verdict{EventID: id, EventName: "CreateVolume", EventTime: "2026-11-20T10:04:11Z", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusViolation}
	for i := range n {
		res := fmt.Sprintf("vol-%04d", i)
		v.Resources = append(v.Resources, verify.Resource{Resource: res, Rule: "volume/empty/plain"})
		v.Findings = append(v.Findings, verify.Finding{Code: "UNENCRYPTED", Severity: "high", Resource: res, Message: "volume is not encrypted. Fix: do it again."})
	}
	return v
}

func TestHub(t *testing.T) {
	ctx := context.Background()
	caller := fakeCaller{"arn:aws:sts::444444444444:assumed-role/secops/me"}
	noWait := securityhub.WithBackoff(func(int) time.Duration { return 0 })
	t.Run("batches across verdicts", func(t *testing.T) {
		api := &fakeHub{}
		h, err := newHub(ctx, caller, api, "us-east-1", noWait)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 25 {
			h.add(ctx, violation(fmt.Sprintf("e%02d", i), 9)) // 225 findings
		}
		h.add(ctx, verify.Verdict{EventID: "ok", Status: verify.StatusCompliant})
		var out strings.Builder
		if !h.finish(ctx, &out) || fmt.Sprint(api.calls) != "[100 100 25]" {
			t.Errorf("calls %v, report %s; want two full batches across verdicts, then the rest", api.calls, out.String())
		}
		if !strings.Contains(out.String(), "225 of 225 findings imported into 444444444444 us-east-1") {
			t.Errorf("report %q", out.String())
		}
	})
	t.Run("a rejected finding fails the run", func(t *testing.T) {
		id := securityhub.Key{EventID: "e1", Resource: "vol-0000", Code: "UNENCRYPTED"}.ID()
		api := &fakeHub{reject: map[string]string{id: "InvalidAccess"}}
		h, _ := newHub(ctx, caller, api, "us-east-1", noWait)
		h.add(ctx, violation("e1", 2))
		var out strings.Builder
		if h.finish(ctx, &out) || !strings.Contains(out.String(), "1 of 2 findings imported") || !strings.Contains(out.String(), id) {
			t.Errorf("report %q; want the rejected finding named", out.String())
		}
	})
	t.Run("interrupted: the rest is not sent", func(t *testing.T) {
		api := &fakeHub{}
		h, _ := newHub(ctx, caller, api, "us-east-1", noWait)
		h.add(ctx, violation("e1", 2))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var out strings.Builder
		if h.finish(cctx, &out) || len(api.calls) != 0 || !strings.Contains(out.String(), "2 not sent: interrupted") {
			t.Errorf("calls %v, report %q", api.calls, out.String())
		}
	})
	t.Run("no Region", func(t *testing.T) {
		if _, err := newHub(ctx, caller, &fakeHub{}, "", noWait); err == nil {
			t.Error("no error without a Region")
		}
	})
	t.Run("Security Hub not enabled", func(t *testing.T) {
		api := &fakeHub{err: errors.New("InvalidAccessException: not subscribed")}
		h, _ := newHub(ctx, caller, api, "us-east-1", noWait)
		h.add(ctx, violation("e1", 1))
		var out strings.Builder
		if h.finish(ctx, &out) || !strings.Contains(out.String(), "not subscribed") {
			t.Errorf("report %q", out.String())
		}
	})
}
