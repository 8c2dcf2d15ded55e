package localaws_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// An "accessdenied" fault answers as each service denies a call (an SCP, the
// reader role's policy or its trust): STS AccessDenied, EC2
// UnauthorizedOperation, KMS AccessDeniedException. The SDK does not retry
// it, and the engine's verdict is a permanent error naming the code, with no
// finding.
func TestAccessDeniedFault(t *testing.T) {
	for _, tc := range []struct {
		api, code string
	}{
		{"AssumeRole", "AccessDenied"},
		{"DescribeImages", "UnauthorizedOperation"},
		{"DescribeKey", "AccessDeniedException"},
	} {
		t.Run(tc.api, func(t *testing.T) {
			s := start(t)
			w, pol, item, _ := loadSample(t, "../../events/samples/launch-encrypted-shared")
			s.SetWorld(w)
			s.Inject(localaws.Fault{API: tc.api, Kind: "accessdenied", Count: 100})
			v := verify.New(verify.Config{Clients: accounts.New(sdkConfig(t, s.URL()), ""), Policy: pol}).Evaluate(context.Background(), item)
			if v.Status != verify.StatusError || v.Retryable || len(v.Findings) != 0 || !slices.Contains(v.ErrorCodes, tc.code) {
				t.Fatalf("status %s retryable %v findings %d error codes %v (%s); want a permanent error with %s",
					v.Status, v.Retryable, len(v.Findings), v.ErrorCodes, v.Reason, tc.code)
			}
			if !strings.Contains(v.Reason, tc.code) {
				t.Errorf("reason %q does not name %s", v.Reason, tc.code)
			}
			if n := s.Counts()[tc.api]; n != 1 {
				t.Errorf("%s served %d times; want 1 (a denied call is not retried)", tc.api, n)
			}
			if left := s.ClearFaults(); left != 99 {
				t.Errorf("ClearFaults: %d calls left; want 99", left)
			}
		})
	}
}

// ClearFaults ends an injected outage: the calls after it are answered.
func TestClearFaults(t *testing.T) {
	s := start(t)
	w, pol, item, want := loadSample(t, "../../events/samples/launch-encrypted-shared")
	s.SetWorld(w)
	s.Inject(localaws.Fault{API: "DescribeImages", Kind: "5xx", Count: 50})
	s.Inject(localaws.Fault{API: "DescribeKey", Kind: "throttle", Count: 3})
	if left := s.ClearFaults(); left != 53 {
		t.Fatalf("ClearFaults: %d calls left; want 53", left)
	}
	v := verify.New(verify.Config{Clients: accounts.New(sdkConfig(t, s.URL()), ""), Policy: pol}).Evaluate(context.Background(), item)
	if got, _ := v.JSON(); string(got)+"\n" != string(want) {
		t.Errorf("after ClearFaults: %s", got)
	}
	if left := s.ClearFaults(); left != 0 {
		t.Errorf("ClearFaults again: %d", left)
	}
}
