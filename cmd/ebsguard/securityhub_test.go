package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

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
