package securityhub_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The function runs in the security account 111111111111, us-east-1; the
// copy happened in member account 222222222222, eu-west-1.
var env = securityhub.Env{Partition: "aws", Region: "us-east-1", Account: "111111111111", Now: time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)}

const (
	awsManaged = "arn:aws:kms:eu-west-1:222222222222:key/0a1b-aws-ebs"
	srcKey     = "arn:aws:kms:us-east-1:111111111111:key/src"
	fixText    = "deregister ami-0new and copy again with `aws ec2 copy-image --region eu-west-1 --source-region us-east-1 --source-image-id ami-0src --name <a name for the copy> --encrypted --kms-key-id <a key of 222222222222 in eu-west-1>`."
	explained  = "snapshot snap-0new (/dev/xvda of ami-0new) is encrypted with the AWS managed key aws/ebs instead of the intended key " + srcKey + " (rule copy/encrypted/shared)."
)

func copyVerdict() verify.Verdict {
	return verify.Verdict{
		EventID: "9d1c-1", EventName: "CopyImage", EventTime: "2026-11-20T10:04:11Z", Account: "222222222222", Region: "eu-west-1",
		Principal: "arn:aws:sts::222222222222:assumed-role/ci/build", Status: verify.StatusViolation,
		Resources: []verify.Resource{
			{Resource: "snap-0new", Parent: "ami-0new", Device: "/dev/xvda", Source: "snap-0src", Rule: "copy/encrypted/shared",
				Expected: &verify.Expected{Encrypted: true, KMSKeyARN: awsManaged}, Actual: &rules.State{Encrypted: true, KMSKeyARN: awsManaged},
				IntendedKeyARN: srcKey, Findings: []string{"DEFAULT_KEY_FALLBACK"}},
			{Resource: "snap-0ok", Parent: "ami-0new", Device: "/dev/xvdb", Source: "snap-0src2", Rule: "copy/encrypted/owned",
				Actual: &rules.State{Encrypted: true, KMSKeyARN: srcKey}, Findings: []string{}},
		},
		Findings: []verify.Finding{{Code: "DEFAULT_KEY_FALLBACK", Severity: "high", Resource: "snap-0new", Message: explained, Fix: fixText}},
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every field of one finding, written from the ASFF reference.
func TestFindingFields(t *testing.T) {
	got, err := securityhub.Findings(copyVerdict(), env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d findings; want 1 (one per event, resource and code)", len(got))
	}
	high := &types.Severity{Label: types.SeverityLabelHigh, Original: aws.String("high")}
	want := types.AwsSecurityFinding{
		SchemaVersion:   aws.String("2018-10-08"),
		Id:              aws.String("ebsguard/9d1c-1/snap-0new/DEFAULT_KEY_FALLBACK"),
		ProductArn:      aws.String("arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"),
		GeneratorId:     aws.String("copy/encrypted/shared"),
		AwsAccountId:    aws.String("111111111111"), // the importing account, as the default product requires
		Types:           []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt:       aws.String("2026-11-20T10:04:11.000Z"),
		FirstObservedAt: aws.String("2026-11-20T10:04:11.000Z"),
		UpdatedAt:       aws.String("2026-11-20T10:30:00.000Z"),
		LastObservedAt:  aws.String("2026-11-20T10:30:00.000Z"),
		Severity:        high,
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: types.SeverityLabelHigh, Original: aws.String("high")},
			Types:    []string{"Software and Configuration Checks/AWS Security Best Practices"},
		},
		Title:       aws.String("EBS snapshot snap-0new fell back to a default KMS key instead of the intended one"),
		Description: aws.String(explained),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(fixText)}},
		Compliance:  &types.Compliance{Status: types.ComplianceStatusFailed},
		Workflow:    &types.Workflow{Status: types.WorkflowStatusNew},
		RecordState: types.RecordStateActive,
		Resources: []types.Resource{
			{Type: aws.String("Other"), Id: aws.String("arn:aws:ec2:eu-west-1::snapshot/snap-0new"), Partition: types.PartitionAws, Region: aws.String("eu-west-1"),
				Details: &types.ResourceDetails{Other: map[string]string{"Type": "EBS snapshot", "AccountId": "222222222222", "SourceSnapshotId": "snap-0src",
					"DeviceName": "/dev/xvda", "Encrypted": "true", "KmsKeyId": awsManaged}}},
			{Type: aws.String("Other"), Id: aws.String("arn:aws:ec2:eu-west-1::image/ami-0new"), Partition: types.PartitionAws, Region: aws.String("eu-west-1"),
				Details: &types.ResourceDetails{Other: map[string]string{"Type": "AMI", "AccountId": "222222222222"}}},
			{Type: aws.String("AwsKmsKey"), Id: aws.String(awsManaged), Partition: types.PartitionAws, Region: aws.String("eu-west-1"),
				Details: &types.ResourceDetails{AwsKmsKey: &types.AwsKmsKeyDetails{KeyId: aws.String("0a1b-aws-ebs")}}},
		},
		ProductFields: map[string]string{
			"ebsguard/Account": "222222222222", "ebsguard/Region": "eu-west-1", "ebsguard/EventID": "9d1c-1", "ebsguard/EventName": "CopyImage",
			"ebsguard/EventTime": "2026-11-20T10:04:11Z", "ebsguard/Principal": "arn:aws:sts::222222222222:assumed-role/ci/build",
			"ebsguard/Code": "DEFAULT_KEY_FALLBACK", "ebsguard/Severity": "high", "ebsguard/Rule": "copy/encrypted/shared",
			"ebsguard/Resource": "snap-0new", "ebsguard/Parent": "ami-0new", "ebsguard/Device": "/dev/xvda", "ebsguard/Source": "snap-0src",
			"ebsguard/Intended": srcKey, "ebsguard/Actual": "encrypted with " + awsManaged, "ebsguard/Fix": fixText,
		},
	}
	if g, w := asJSON(t, got[0]), asJSON(t, want); g != w {
		t.Errorf("finding =\n%s\nwant\n%s", g, w)
	}
}

// A launch: the volume and its instance have ASFF types of their own, and
// their ARNs name the member account.
func TestFindingResourcesOfALaunch(t *testing.T) {
	v := verify.Verdict{
		EventID: "e-7", EventName: "RunInstances", EventTime: "2026-11-20T11:00:00Z", Account: "222222222222", Region: "eu-west-1", Status: verify.StatusViolation,
		Resources: []verify.Resource{{Resource: "vol-1", Parent: "i-1", Device: "/dev/sda1", Source: "snap-9", Rule: "launch/unencrypted/plain",
			Actual: &rules.State{}, Findings: []string{"UNENCRYPTED"}}},
		Findings: []verify.Finding{{Code: "UNENCRYPTED", Severity: "medium", Resource: "vol-1", Message: "volume vol-1 is not encrypted."}},
	}
	got, err := securityhub.Findings(v, securityhub.Env{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "111111111111", Now: env.Now}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("Findings = %d, %v", len(got), err)
	}
	f := got[0]
	want := []types.Resource{
		{Type: aws.String("AwsEc2Volume"), Id: aws.String("arn:aws-us-gov:ec2:eu-west-1:222222222222:volume/vol-1"), Partition: types.PartitionAwsUsGov, Region: aws.String("eu-west-1"),
			Details: &types.ResourceDetails{AwsEc2Volume: &types.AwsEc2VolumeDetails{Encrypted: aws.Bool(false), SnapshotId: aws.String("snap-9"), DeviceName: aws.String("/dev/sda1"),
				Attachments: []types.AwsEc2VolumeAttachment{{InstanceId: aws.String("i-1")}}}}},
		{Type: aws.String("AwsEc2Instance"), Id: aws.String("arn:aws-us-gov:ec2:eu-west-1:222222222222:instance/i-1"), Partition: types.PartitionAwsUsGov, Region: aws.String("eu-west-1")},
	}
	if g, w := asJSON(t, f.Resources), asJSON(t, want); g != w {
		t.Errorf("Resources =\n%s\nwant\n%s", g, w)
	}
	if aws.ToString(f.ProductArn) != "arn:aws-us-gov:securityhub:us-gov-west-1:111111111111:product/111111111111/default" {
		t.Errorf("ProductArn = %s", aws.ToString(f.ProductArn))
	}
	if f.Severity.Label != types.SeverityLabelMedium || f.FindingProviderFields.Severity.Label != types.SeverityLabelMedium {
		t.Errorf("Severity = %s / %s; want MEDIUM", f.Severity.Label, f.FindingProviderFields.Severity.Label)
	}
	if aws.ToString(f.Title) != "EBS volume vol-1 is not encrypted" || aws.ToString(f.Description) != "volume vol-1 is not encrypted." || f.Remediation != nil {
		t.Errorf("Title %q, Description %q, Remediation %v", aws.ToString(f.Title), aws.ToString(f.Description), f.Remediation)
	}
}

// The same event, resource and code always give the same Id, so a re-check
// or a replay updates the finding; anything else gives another.
func TestFindingIDStable(t *testing.T) {
	id := func(v verify.Verdict, e securityhub.Env) string {
		fs, err := securityhub.Findings(v, e, nil)
		if err != nil || len(fs) != 1 {
			t.Fatalf("Findings = %d, %v", len(fs), err)
		}
		return aws.ToString(fs[0].Id)
	}
	base := id(copyVerdict(), env)
	later := env
	later.Now = later.Now.Add(48 * time.Hour)
	reworded := copyVerdict()
	reworded.Findings[0].Message, reworded.Findings[0].Fix = "another wording.", "another fix"
	reworded.Findings[0].Severity = "medium"
	otherCode, otherResource, otherEvent := copyVerdict(), copyVerdict(), copyVerdict()
	otherCode.Findings[0].Code = "KEY_MISMATCH"
	otherResource.Findings[0].Resource = "snap-0ok"
	otherEvent.EventID = "9d1c-2"
	tests := []struct {
		name string
		id   string
		same bool
	}{
		{"a re-check two days later", id(copyVerdict(), later), true},
		{"reworded, another severity", id(reworded, env), true},
		{"another code", id(otherCode, env), false},
		{"another resource", id(otherResource, env), false},
		{"another event", id(otherEvent, env), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.id == base) != tt.same {
				t.Errorf("Id %q vs %q: same = %v; want %v", tt.id, base, tt.id == base, tt.same)
			}
		})
	}
	if got := (securityhub.Key{EventID: "9d1c-1", Resource: "snap-0new", Code: "DEFAULT_KEY_FALLBACK"}).ID(); got != base {
		t.Errorf("Key.ID = %q; the finding's Id is %q", got, base)
	}
}

// A finding published by an earlier check and no longer raised is closed:
// PASSED, RESOLVED, archived, with the same Id. Keys of other events, of
// findings still raised and of resources not judged change nothing.
func TestFindingsResolve(t *testing.T) {
	v := copyVerdict()
	v.Resources = append(v.Resources, verify.Resource{Parent: "ami-0new", Device: "/dev/xvdc", Rule: "copy/encrypted/owned"}, // not visible yet
		verify.Resource{Resource: "snap-0err", Parent: "ami-0new", Device: "/dev/xvdd", Error: "describe snapshot: AccessDenied"})
	published := []securityhub.Key{
		{EventID: "9d1c-1", Resource: "snap-0new", Code: "DEFAULT_KEY_FALLBACK"}, // still raised
		{EventID: "9d1c-1", Resource: "snap-0ok", Code: "KEY_MISMATCH"},          // no longer raised: resolved
		{EventID: "9d1c-1", Resource: "snap-0ok", Code: "KEY_MISMATCH"},          // listed twice: once
		{EventID: "9d1c-1", Resource: "snap-0err", Code: "UNENCRYPTED"},          // could not be judged now
		{EventID: "9d1c-1", Resource: "snap-0gone", Code: "UNENCRYPTED"},         // not in this verdict
		{EventID: "other", Resource: "snap-0ok", Code: "DISALLOWED_KEY"},         // another event
	}
	got, err := securityhub.Findings(v, env, published)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d findings; want the raised one and one resolution:\n%s", len(got), asJSON(t, got))
	}
	r := got[1]
	checks := []struct{ field, got, want string }{
		{"Id", aws.ToString(r.Id), "ebsguard/9d1c-1/snap-0ok/KEY_MISMATCH"},
		{"Compliance.Status", string(r.Compliance.Status), "PASSED"},
		{"Workflow.Status", string(r.Workflow.Status), "RESOLVED"},
		{"RecordState", string(r.RecordState), "ARCHIVED"},
		{"Severity.Label", string(r.Severity.Label), "INFORMATIONAL"},
		{"FindingProviderFields.Severity.Label", string(r.FindingProviderFields.Severity.Label), "INFORMATIONAL"},
		{"GeneratorId", aws.ToString(r.GeneratorId), "copy/encrypted/owned"},
		{"CreatedAt", aws.ToString(r.CreatedAt), "2026-11-20T10:04:11.000Z"},
		{"UpdatedAt", aws.ToString(r.UpdatedAt), "2026-11-20T10:30:00.000Z"},
		{"Title", aws.ToString(r.Title), "Resolved: EBS snapshot snap-0ok got another KMS key than the documented rule predicts"},
		{"Description", aws.ToString(r.Description), "A later check of the CopyImage call (event 9d1c-1) no longer raises KEY_MISMATCH on snapshot snap-0ok: it is encrypted with " + srcKey + ", and rule copy/encrypted/owned applies."},
		{"Resources[0].Id", aws.ToString(r.Resources[0].Id), "arn:aws:ec2:eu-west-1::snapshot/snap-0ok"},
		{"AwsAccountId", aws.ToString(r.AwsAccountId), "111111111111"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.field, c.got, c.want)
		}
	}
	if r.Remediation != nil {
		t.Errorf("a resolved finding has a remediation: %v", r.Remediation)
	}
	// A compliant re-check of a finding raised earlier resolves it too.
	compliant := copyVerdict()
	compliant.Status, compliant.Findings = verify.StatusCompliant, []verify.Finding{}
	compliant.Resources[0].Findings = []string{}
	got, err = securityhub.Findings(compliant, env, securityhub.Keys(copyVerdict()))
	if err != nil || len(got) != 1 || aws.ToString(got[0].Id) != "ebsguard/9d1c-1/snap-0new/DEFAULT_KEY_FALLBACK" || got[0].Compliance.Status != types.ComplianceStatusPassed {
		t.Errorf("compliant re-check = %v, %v", asJSON(t, got), err)
	}
}

// Record fields are long or hostile: every field stays within its
// documented length, and the Id stays stable and within 512 characters.
func TestFindingLimits(t *testing.T) {
	v := copyVerdict()
	v.EventID = strings.Repeat("e", 600)
	long := strings.Repeat("snapshot snap-0new is wrong; ", 100)
	v.Findings[0].Message, v.Findings[0].Fix = long, strings.Repeat("do this; ", 100)
	v.Principal = "arn:aws:sts::222222222222:assumed-role/ci/x\nAccount: 999" + strings.Repeat("p", 3000)
	a, err := securityhub.Findings(v, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := securityhub.Findings(v, env, nil)
	f := a[0]
	limits := []struct {
		field string
		value string
		max   int
	}{
		{"Id", aws.ToString(f.Id), 512},
		{"GeneratorId", aws.ToString(f.GeneratorId), 512},
		{"Title", aws.ToString(f.Title), 256},
		{"Description", aws.ToString(f.Description), 1024},
		{"Remediation.Recommendation.Text", aws.ToString(f.Remediation.Recommendation.Text), 512},
	}
	for k, val := range f.ProductFields {
		limits = append(limits, struct {
			field string
			value string
			max   int
		}{"ProductFields[" + k + "]", val, 2048})
	}
	for _, l := range limits {
		if n := utf8.RuneCountInString(l.value); n > l.max || n == 0 {
			t.Errorf("%s has %d characters; ASFF allows 1 to %d", l.field, n, l.max)
		}
	}
	if aws.ToString(f.Id) != aws.ToString(b[0].Id) || !strings.HasPrefix(aws.ToString(f.Id), "ebsguard/sha256/") {
		t.Errorf("Id of a long event ID = %q, then %q; want the same hashed Id", aws.ToString(f.Id), aws.ToString(b[0].Id))
	}
	if p := f.ProductFields["ebsguard/Principal"]; strings.Contains(p, "\n") {
		t.Errorf("principal not escaped: %q", p)
	}
	// Two parts that concatenate alike give different Ids.
	x := securityhub.Key{EventID: "a/b", Resource: "c", Code: "UNENCRYPTED"}.ID()
	y := securityhub.Key{EventID: "a", Resource: "b/c", Code: "UNENCRYPTED"}.ID()
	if x == y {
		t.Errorf("Key.ID of a/b+c = Key.ID of a+b/c = %q", x)
	}
}

func TestFindingsNeedsTheImportTarget(t *testing.T) {
	for _, e := range []securityhub.Env{{}, {Partition: "aws", Region: "us-east-1"}, {Partition: "aws", Account: "111111111111"}} {
		if _, err := securityhub.Findings(copyVerdict(), e, nil); err == nil {
			t.Errorf("Findings with %+v: no error", e)
		}
	}
}

func TestEnvFromCaller(t *testing.T) {
	tests := []struct {
		arn, region, product string
		ok                   bool
	}{
		{"arn:aws:sts::111111111111:assumed-role/ebsguard-fn/x", "eu-west-1", "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default", true},
		{"arn:aws-cn:iam::111111111111:user/alice", "cn-north-1", "arn:aws-cn:securityhub:cn-north-1:111111111111:product/111111111111/default", true},
		{"arn:aws-iso-b:sts::111111111111:assumed-role/r/s", "us-isob-east-1", "arn:aws-iso-b:securityhub:us-isob-east-1:111111111111:product/111111111111/default", true},
		{"not an arn", "eu-west-1", "", false},
		{"arn:aws:sts::111111111111:assumed-role/r/s", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			e, err := securityhub.EnvFromCaller(tt.arn, tt.region, env.Now)
			if (err == nil) != tt.ok {
				t.Fatalf("EnvFromCaller error = %v; want ok = %v", err, tt.ok)
			}
			if tt.ok && e.ProductARN() != tt.product {
				t.Errorf("ProductARN = %q; want %q", e.ProductARN(), tt.product)
			}
		})
	}
}

// The finding docs/securityhub.md shows is the one Findings builds for the
// same verdict, without the fields it leaves empty.
func TestDocFinding(t *testing.T) {
	readme, err := os.ReadFile("../../docs/securityhub.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	i := strings.Index(doc, "A finding as imported")
	if i < 0 {
		t.Fatal("docs/securityhub.md shows no finding")
	}
	block := doc[i:]
	start := strings.Index(block, "```json\n") + len("```json\n")
	block = block[start : start+strings.Index(block[start:], "```")]
	var shown any
	if err := json.Unmarshal([]byte(block), &shown); err != nil {
		t.Fatalf("docs/securityhub.md's finding is not JSON: %v", err)
	}
	fs, err := securityhub.Findings(copyVerdict(), env, nil)
	if err != nil {
		t.Fatal(err)
	}
	var built any
	if err := json.Unmarshal([]byte(asJSON(t, fs[0])), &built); err != nil {
		t.Fatal(err)
	}
	if g, w := asJSON(t, withoutEmpty(built)), asJSON(t, shown); g != w {
		t.Errorf("Findings builds\n%s\ndocs/securityhub.md shows\n%s", g, w)
	}
}

// withoutEmpty drops nulls, empty strings and empty objects, as the wire
// format omits unset fields.
func withoutEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			c := withoutEmpty(e)
			if m, ok := c.(map[string]any); c == nil || c == "" || (ok && len(m) == 0) {
				continue
			}
			out[k] = c
		}
		return out
	case []any:
		for i := range x {
			x[i] = withoutEmpty(x[i])
		}
	}
	return v
}
