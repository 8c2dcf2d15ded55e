package securityhub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	sh "github.com/ebsguard/ebsguard/lambda/securityhub"
)

// fakeHub records every call's finding Ids and answers with reject, which
// may fail the whole call or name findings that failed.
type fakeHub struct {
	mu     sync.Mutex
	calls  [][]string
	sizes  []int
	reject func(call int, id string) (code string, callErr error)
}

func (f *fakeHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.calls) + 1
	var ids []string
	for _, x := range in.Findings {
		ids = append(ids, aws.ToString(x.Id))
	}
	b, _ := json.Marshal(in.Findings)
	f.calls, f.sizes = append(f.calls, ids), append(f.sizes, len(b))
	out := &securityhub.BatchImportFindingsOutput{}
	for _, id := range ids {
		if f.reject == nil {
			continue
		}
		code, err := f.reject(call, id)
		if err != nil {
			return nil, err
		}
		if code != "" {
			out.FailedFindings = append(out.FailedFindings, types.ImportFindingsError{Id: aws.String(id), ErrorCode: aws.String(code), ErrorMessage: aws.String("rejected")})
		}
	}
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	out.SuccessCount = aws.Int32(int32(len(ids) - len(out.FailedFindings)))
	return out, nil
}

func findings(n int, extra string) []types.AwsSecurityFinding {
	out := make([]types.AwsSecurityFinding, n)
	for i := range out {
		out[i] = types.AwsSecurityFinding{Id: aws.String(fmt.Sprintf("ebsguard/e/vol-%04d/UNENCRYPTED", i))}
		if extra != "" {
			out[i].ProductFields = map[string]string{"ebsguard/Padding": extra}
		}
	}
	return out
}

// waits records the backoff asked before each retry, without waiting.
func waits(into *[]int) sh.Option {
	return sh.WithBackoff(func(retry int) time.Duration { *into = append(*into, retry); return 0 })
}

func TestImportBatches(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		padding   int
		wantCalls []int
	}{
		{"250 findings: 100 per call", 250, 0, []int{100, 100, 50}},
		{"exactly 100", 100, 0, []int{100}},
		{"one", 1, 0, []int{1}},
		{"none", 0, 0, nil},
		// 100 findings of about 70 KB: 7 MB, more than the 6 MB a call
		// takes, so two calls (their sizes are checked below).
		{"size before count", 100, 70_000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := &fakeHub{}
			if err := sh.NewImporter(hub).Import(context.Background(), findings(tt.n, strings.Repeat("x", tt.padding))); err != nil {
				t.Fatal(err)
			}
			var got []int
			seen := map[string]bool{}
			for i, c := range hub.calls {
				got = append(got, len(c))
				if hub.sizes[i] > 6_000_000 {
					t.Errorf("call %d carries %d bytes; BatchImportFindings takes at most 6 MB", i+1, hub.sizes[i])
				}
				for _, id := range c {
					if seen[id] {
						t.Errorf("%s sent twice", id)
					}
					seen[id] = true
				}
			}
			if tt.padding > 0 {
				if len(got) != 2 {
					t.Errorf("findings per call = %v; want two calls", got)
				}
			} else if fmt.Sprint(got) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("findings per call = %v; want %v", got, tt.wantCalls)
			}
			if len(seen) != tt.n {
				t.Errorf("%d findings sent; want %d", len(seen), tt.n)
			}
		})
	}
}

// Only the findings that failed are sent again, after a backoff; one that
// keeps failing is named in the error after the bounded attempts.
func TestImportRetriesFailedFindings(t *testing.T) {
	const flaky, broken, disabled = "ebsguard/e/vol-0003/UNENCRYPTED", "ebsguard/e/vol-0007/UNENCRYPTED", "ebsguard/e/vol-0009/UNENCRYPTED"
	hub := &fakeHub{reject: func(call int, id string) (string, error) {
		switch {
		case id == flaky && call == 1:
			return "InternalException", nil
		case id == broken:
			return "InternalException", nil
		case id == disabled:
			return "InvalidAccess", nil // Security Hub not enabled: retrying changes nothing
		}
		return "", nil
	}}
	var retries []int
	err := sh.NewImporter(hub, sh.WithAttempts(3), waits(&retries)).Import(context.Background(), findings(10, ""))
	if err == nil {
		t.Fatal("Import = nil; want an error naming the findings that were not imported")
	}
	want := [][]string{
		{"ebsguard/e/vol-0000/UNENCRYPTED", "ebsguard/e/vol-0001/UNENCRYPTED", "ebsguard/e/vol-0002/UNENCRYPTED", flaky,
			"ebsguard/e/vol-0004/UNENCRYPTED", "ebsguard/e/vol-0005/UNENCRYPTED", "ebsguard/e/vol-0006/UNENCRYPTED", broken,
			"ebsguard/e/vol-0008/UNENCRYPTED", disabled},
		{flaky, broken},
		{broken},
	}
	if fmt.Sprint(hub.calls) != fmt.Sprint(want) {
		t.Errorf("calls = %v; want %v", hub.calls, want)
	}
	if fmt.Sprint(retries) != "[1 2]" {
		t.Errorf("backoff asked for retries %v; want [1 2]", retries)
	}
	msg := err.Error()
	for _, w := range []string{"2 of 10 findings not imported after 3 attempts", broken + " (InternalException: rejected)", disabled + " (InvalidAccess: rejected (not retried))"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, flaky) {
		t.Errorf("error names %s, which was imported on retry: %s", flaky, msg)
	}
}

func TestImportCallErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "LimitExceededException", Message: "slow down"}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no securityhub:BatchImportFindings"}
	tests := []struct {
		name      string
		fail      func(call int) error
		wantCalls int
		wantErr   string
	}{
		{"throttled once, then imported", func(call int) error {
			if call == 1 {
				return throttled
			}
			return nil
		}, 2, ""},
		{"always throttled", func(int) error { return throttled }, 3, "3 of 3 findings not imported after 3 attempts"},
		{"denied: not retried", func(int) error { return denied }, 1, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := &fakeHub{reject: func(call int, _ string) (string, error) { return "", tt.fail(call) }}
			var retries []int
			err := sh.NewImporter(hub, waits(&retries)).Import(context.Background(), findings(3, ""))
			if len(hub.calls) != tt.wantCalls {
				t.Errorf("%d calls; want %d", len(hub.calls), tt.wantCalls)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Import = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Import = %v; want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// A finding over 240 KB is never sent; the others are.
func TestImportOversizedFinding(t *testing.T) {
	fs := findings(3, "")
	fs[1].ProductFields = map[string]string{"ebsguard/Padding": strings.Repeat("x", 250_000)}
	hub := &fakeHub{}
	err := sh.NewImporter(hub).Import(context.Background(), fs)
	if err == nil || !strings.Contains(err.Error(), aws.ToString(fs[1].Id)) || !strings.Contains(err.Error(), "240 KB") {
		t.Errorf("Import = %v; want an error naming %s and the limit", err, aws.ToString(fs[1].Id))
	}
	if fmt.Sprint(hub.calls) != fmt.Sprint([][]string{{aws.ToString(fs[0].Id), aws.ToString(fs[2].Id)}}) {
		t.Errorf("calls = %v", hub.calls)
	}
}

// A cancelled context stops the retries and says so.
func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hub := &fakeHub{reject: func(int, string) (string, error) { cancel(); return "InternalException", nil }}
	err := sh.NewImporter(hub, sh.WithBackoff(func(int) time.Duration { return time.Hour })).Import(ctx, findings(1, ""))
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) || !strings.Contains(err.Error(), "not retried") {
		t.Errorf("Import = %v; want an error saying the finding was not retried", err)
	}
	if len(hub.calls) != 1 {
		t.Errorf("%d calls; want 1", len(hub.calls))
	}
}
