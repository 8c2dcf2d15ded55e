package notify_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

func violation() verify.Verdict {
	return verify.Verdict{
		EventID: "e-1", EventName: "CopyImage", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusViolation,
		Resources: []verify.Resource{{Resource: "snap-1", Parent: "ami-1", Device: "/dev/xvda", Rule: rules.CopyEncryptedShared,
			Actual: &rules.State{Encrypted: true, KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/d"}, IntendedKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/s", Findings: []string{"DEFAULT_KEY_FALLBACK"}}},
		Findings: []verify.Finding{
			{Code: "DEFAULT_KEY_FALLBACK", Severity: "medium", Resource: "snap-1", Message: "fix it"},
			{Code: "UNENCRYPTED", Severity: "high", Resource: "snap-2", Message: "fix that"},
		},
	}
}

func TestMessage(t *testing.T) {
	v := violation()
	in, err := notify.Message("arn:aws:sns:eu-west-1:1:t", v)
	if err != nil {
		t.Fatal(err)
	}
	var structured map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
		t.Fatalf("message is not JSON: %v", err)
	}
	var back verify.Verdict
	if err := json.Unmarshal([]byte(structured["default"]), &back); err != nil || back.EventID != "e-1" || len(back.Findings) != 2 {
		t.Errorf("default = %q; want the verdict JSON", structured["default"])
	}
	if !strings.Contains(structured["email"], "DEFAULT_KEY_FALLBACK (medium) on snap-1") || !strings.Contains(structured["email"], "fix it") {
		t.Errorf("email = %q", structured["email"])
	}
	if aws.ToString(in.MessageStructure) != "json" {
		t.Errorf("MessageStructure = %q", aws.ToString(in.MessageStructure))
	}
	want := map[string]string{"status": "violation", "severity": "high", "findings": `["DEFAULT_KEY_FALLBACK","UNENCRYPTED"]`, "account": "222222222222", "region": "eu-west-1", "eventName": "CopyImage"}
	for k, w := range want {
		if got := aws.ToString(in.MessageAttributes[k].StringValue); got != w {
			t.Errorf("attribute %s = %q; want %q", k, got, w)
		}
	}
	if got := aws.ToString(in.MessageAttributes["findings"].DataType); got != "String.Array" {
		t.Errorf("findings DataType = %q", got)
	}
}

func TestSubject(t *testing.T) {
	v := violation()
	if got, want := notify.Subject(v), "ebsguard HIGH: DEFAULT_KEY_FALLBACK +1 in 222222222222 eu-west-1"; got != want {
		t.Errorf("Subject = %q; want %q", got, want)
	}
	v.Account = strings.Repeat("x", 200)
	if got := notify.Subject(v); len(got) > 100 {
		t.Errorf("Subject has %d characters; SNS allows 100", len(got))
	}
}

// A verdict over SNS's size limit is cut to fit and says so.
func TestMessageFitsSNS(t *testing.T) {
	v := violation()
	v.Resources, v.Findings = nil, nil
	long := strings.Repeat("x", 2000)
	for i := 0; i < 400; i++ {
		id := fmt.Sprintf("vol-%04d", i)
		v.Resources = append(v.Resources, verify.Resource{Resource: id, Parent: "i-1", Findings: []string{"UNENCRYPTED"}, Actual: &rules.State{}})
		v.Findings = append(v.Findings, verify.Finding{Code: "UNENCRYPTED", Severity: "high", Resource: id, Message: long})
	}
	in, err := notify.Message("arn:aws:sns:eu-west-1:1:t", v)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(aws.ToString(in.Message)); n > 256<<10 {
		t.Fatalf("message of %d bytes exceeds SNS's limit", n)
	}
	var structured map[string]string
	json.Unmarshal([]byte(aws.ToString(in.Message)), &structured)
	var cut verify.Verdict
	if err := json.Unmarshal([]byte(structured["default"]), &cut); err != nil {
		t.Fatal(err)
	}
	if len(cut.Resources) == 0 || len(cut.Resources) >= 400 || !strings.HasPrefix(cut.Reason, "truncated for SNS") {
		t.Errorf("cut verdict: %d resources, reason %q", len(cut.Resources), cut.Reason)
	}
	for _, f := range cut.Findings {
		if !slices.ContainsFunc(cut.Resources, func(r verify.Resource) bool { return r.Resource == f.Resource }) {
			t.Errorf("finding on %s whose resource was cut", f.Resource)
		}
	}
}
