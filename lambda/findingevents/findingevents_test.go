package findingevents_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/ebsguard/ebsguard/lambda/findingevents"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

type fakeBus struct {
	in  []*eventbridge.PutEventsInput
	out *eventbridge.PutEventsOutput
	err error
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.in = append(f.in, in)
	if f.err != nil {
		return nil, f.err
	}
	if f.out != nil {
		return f.out, nil
	}
	return &eventbridge.PutEventsOutput{Entries: []ebtypes.PutEventsResultEntry{{EventId: aws.String("ev-1")}}}, nil
}

func violation() verify.Verdict {
	return verify.Verdict{EventID: "e-1", EventName: "RunInstances", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusViolation,
		Resources: []verify.Resource{{Resource: "vol-1", Parent: "i-1", Findings: []string{"UNENCRYPTED"}, Actual: &rules.State{}}},
		Findings:  []verify.Finding{{Code: "UNENCRYPTED", Severity: rules.High, Resource: "vol-1", Message: "unencrypted"}}}
}

// entrySize is the size EventBridge counts for an entry (PutEvents entry
// size: the time, source, detail-type, detail, resources and bus name).
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	n := 14 + len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail)) + len(aws.ToString(e.EventBusName))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func TestEntry(t *testing.T) {
	notice := verify.Verdict{EventID: "e-2", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusError, Reason: "AssumeRole: AccessDenied"}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		v          verify.Verdict
		bus        string
		detailType string
		wantErr    bool
	}{
		{"violation", violation(), "ebsguard", "EBS Encryption Finding", false},
		{"notice", notice, "ebsguard", "ebsguard Operational Notice", false},
		{"default bus", violation(), "", "EBS Encryption Finding", false},
		{"compliant", verify.Verdict{EventID: "e-3", Status: verify.StatusCompliant}, "ebsguard", "", true},
		{"pending", verify.Verdict{EventID: "e-4", Status: verify.StatusPending}, "ebsguard", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := findingevents.Entry(tt.bus, tt.v, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if aws.ToString(e.Source) != "ebsguard" || aws.ToString(e.DetailType) != tt.detailType {
				t.Errorf("source %q, detail-type %q; want ebsguard, %q", aws.ToString(e.Source), aws.ToString(e.DetailType), tt.detailType)
			}
			if (tt.bus == "") != (e.EventBusName == nil) || (e.EventBusName != nil && *e.EventBusName != tt.bus) {
				t.Errorf("bus %v; want %q", e.EventBusName, tt.bus)
			}
			if !aws.ToTime(e.Time).Equal(now) {
				t.Errorf("time %v", e.Time)
			}
			var got verify.Verdict
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &got); err != nil {
				t.Fatal(err)
			}
			want, _ := tt.v.JSON()
			if b, _ := got.JSON(); string(b) != string(want) {
				t.Errorf("detail\n%s\nwant the verdict\n%s", b, want)
			}
		})
	}
}

// A verdict over EventBridge's 256 KB is cut by the SNS rule and says so.
func TestEntryFitsEventBridge(t *testing.T) {
	v := violation()
	v.Resources, v.Findings = nil, nil
	long := strings.Repeat("x", 2000)
	for i := range 400 {
		id := fmt.Sprintf("vol-%04d", i)
		v.Resources = append(v.Resources, verify.Resource{Resource: id, Parent: "i-1", Findings: []string{"UNENCRYPTED"}, Actual: &rules.State{}})
		v.Findings = append(v.Findings, verify.Finding{Code: "UNENCRYPTED", Severity: rules.High, Resource: id, Message: long})
	}
	// Resources without findings go first.
	for i := range 50 {
		v.Resources = append(v.Resources, verify.Resource{Resource: fmt.Sprintf("vol-ok-%d", i), Findings: []string{}, Actual: &rules.State{Encrypted: true}})
	}
	e, err := findingevents.Entry("arn:aws:events:eu-west-1:111111111111:event-bus/ebsguard", v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := entrySize(e); n > 256*1024 {
		t.Fatalf("entry of %d bytes exceeds EventBridge's 256 KB", n)
	}
	var cut verify.Verdict
	if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &cut); err != nil {
		t.Fatal(err)
	}
	if len(cut.Findings) == 0 || len(cut.Findings) >= 400 || !strings.HasPrefix(cut.Reason, "truncated for EventBridge: ") {
		t.Errorf("cut: %d findings, reason %q", len(cut.Findings), cut.Reason)
	}
	for _, r := range cut.Resources {
		if len(r.Findings) == 0 {
			t.Errorf("cut kept %s, which has no finding", r.Resource)
		}
	}
}

func TestPut(t *testing.T) {
	tests := []struct {
		name    string
		bus     fakeBus
		wantID  string
		wantErr string
	}{
		{"accepted", fakeBus{}, "ev-1", ""},
		{"call fails", fakeBus{err: errors.New("throttled")}, "", "put violation event of e-1 on bus ebsguard: throttled"},
		{"entry fails", fakeBus{out: &eventbridge.PutEventsOutput{FailedEntryCount: 1,
			Entries: []ebtypes.PutEventsResultEntry{{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")}}}},
			"", "entry failed: ThrottlingException slow down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := findingevents.New(&tt.bus, "ebsguard")
			id, err := p.Put(context.Background(), violation())
			if id != tt.wantID || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Put = %q, %v; want %q, %q", id, err, tt.wantID, tt.wantErr)
			}
			if len(tt.bus.in) != 1 || len(tt.bus.in[0].Entries) != 1 {
				t.Fatalf("PutEvents calls %v; want one with one entry", tt.bus.in)
			}
		})
	}
}

// GIVEN a notice about thousands of volumes WHEN it is put THEN its entry is
// cut to EventBridge's limit, keeping the notice's reason.
func TestNoticeEntryFitsEventBridge(t *testing.T) {
	v := verify.Verdict{EventID: "e-2", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusError, Reason: "AssumeRole: AccessDenied"}
	for i := range 3000 {
		v.Resources = append(v.Resources, verify.Resource{Resource: fmt.Sprintf("vol-%05d", i), Error: strings.Repeat("e", 80), Findings: []string{}})
	}
	e, err := findingevents.Entry("ebsguard", v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := entrySize(e); n > 256*1024 {
		t.Fatalf("entry of %d bytes exceeds EventBridge's 256 KB", n)
	}
	var cut verify.Verdict
	if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &cut); err != nil {
		t.Fatal(err)
	}
	if cut.Reason != v.Reason || len(cut.Resources) == 0 || len(cut.Resources) >= 3000 {
		t.Errorf("cut notice: %d resources, reason %q", len(cut.Resources), cut.Reason)
	}
}
