package localaws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/ebsguard/ebsguard/internal/localaws"
)

func finding(id string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id),
		ProductArn:  aws.String("arn:aws:securityhub:us-east-1:" + central + ":product/" + central + "/default"),
		GeneratorId: aws.String("copy/encrypted/shared"), AwsAccountId: aws.String(central),
		Types:     []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt: aws.String("2026-11-20T10:04:11Z"), UpdatedAt: aws.String("2026-11-20T10:05:00Z"),
		Severity: &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Title:    aws.String("DEFAULT_KEY_FALLBACK on snap-0new"), Description: aws.String("snapshot snap-0new is on aws/ebs"),
		Remediation: &shtypes.Remediation{Recommendation: &shtypes.Recommendation{Text: aws.String("Copy again with --kms-key-id.")}},
		Resources: []shtypes.Resource{{Type: aws.String("AwsEc2Snapshot"), Id: aws.String("arn:aws:ec2:us-east-1::snapshot/snap-0new")},
			{Type: aws.String("AwsKmsKey"), Id: aws.String("arn:aws:kms:us-east-1:" + central + ":key/def")}},
		Compliance: &shtypes.Compliance{Status: shtypes.ComplianceStatusFailed},
		Workflow:   &shtypes.Workflow{Status: shtypes.WorkflowStatusNew},
	}
}

// Findings sent with the real SDK are recorded field by field; malformed
// ones fail one by one with InvalidInput; a batch over 100 fails whole.
func TestBatchImportFindingsThroughSDK(t *testing.T) {
	s := start(t)
	sh := securityhub.NewFromConfig(sdkConfig(t, s.URL()))
	ctx := context.Background()

	bad := map[string]func(*shtypes.AwsSecurityFinding){
		"empty title":  func(f *shtypes.AwsSecurityFinding) { f.Title = aws.String("") },
		"no severity":  func(f *shtypes.AwsSecurityFinding) { f.Severity = nil },
		"no resources": func(f *shtypes.AwsSecurityFinding) { f.Resources = []shtypes.Resource{} },
		"long recommendation": func(f *shtypes.AwsSecurityFinding) {
			f.Remediation.Recommendation.Text = aws.String(strings.Repeat("x", 513))
		},
		"another account": func(f *shtypes.AwsSecurityFinding) { f.AwsAccountId = aws.String("222222222222") },
		"another product": func(f *shtypes.AwsSecurityFinding) {
			f.ProductArn = aws.String("arn:aws:securityhub:us-east-1::product/other/other")
		},
		"bad time": func(f *shtypes.AwsSecurityFinding) { f.UpdatedAt = aws.String("yesterday") },
	}
	in := &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("good-1")}}
	for name, spoil := range bad {
		f := finding(name)
		spoil(&f)
		in.Findings = append(in.Findings, f)
	}
	out, err := sh.BatchImportFindings(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 1 || aws.ToInt32(out.FailedCount) != int32(len(bad)) || len(out.FailedFindings) != len(bad) {
		t.Fatalf("success %d, failed %d (%d listed); want 1 and %d", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), len(out.FailedFindings), len(bad))
	}
	for _, ff := range out.FailedFindings {
		if _, ok := bad[aws.ToString(ff.Id)]; !ok || aws.ToString(ff.ErrorCode) != "InvalidInput" || !strings.Contains(aws.ToString(ff.ErrorMessage), "Finding does not adhere") {
			t.Errorf("failed finding %s: %s %s", aws.ToString(ff.Id), aws.ToString(ff.ErrorCode), aws.ToString(ff.ErrorMessage))
		}
	}

	got := s.ImportedFindings()
	if len(got) != 1+len(bad) {
		t.Fatalf("%d findings recorded; want %d", len(got), 1+len(bad))
	}
	good, want := got[0], finding("good-1")
	if good.ErrorCode != "" || good.Account != central || good.Region != "us-east-1" {
		t.Fatalf("first finding recorded as %s/%s, error %q", good.Account, good.Region, good.ErrorCode)
	}
	f := good.Finding
	for field, pair := range map[string][2]string{
		"Id": {aws.ToString(f.Id), "good-1"}, "GeneratorId": {aws.ToString(f.GeneratorId), aws.ToString(want.GeneratorId)},
		"ProductArn": {aws.ToString(f.ProductArn), aws.ToString(want.ProductArn)}, "Severity.Label": {string(f.Severity.Label), "HIGH"},
		"Title": {aws.ToString(f.Title), aws.ToString(want.Title)}, "Types": {strings.Join(f.Types, ";"), want.Types[0]},
		"Remediation":  {aws.ToString(f.Remediation.Recommendation.Text), "Copy again with --kms-key-id."},
		"Resources[0]": {aws.ToString(f.Resources[0].Type) + " " + aws.ToString(f.Resources[0].Id), "AwsEc2Snapshot arn:aws:ec2:us-east-1::snapshot/snap-0new"},
		"Resources[1]": {aws.ToString(f.Resources[1].Type), "AwsKmsKey"}, "Compliance": {string(f.Compliance.Status), "FAILED"},
		"Workflow": {string(f.Workflow.Status), "NEW"}, "UpdatedAt": {aws.ToString(f.UpdatedAt), "2026-11-20T10:05:00Z"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("recorded %s = %q; want %q", field, pair[0], pair[1])
		}
	}

	many := &securityhub.BatchImportFindingsInput{}
	for i := range localaws.SecurityHubMaxFindings + 1 {
		many.Findings = append(many.Findings, finding(fmt.Sprint(i)))
	}
	if _, err := sh.BatchImportFindings(ctx, many); errCode(err) != "InvalidInputException" {
		t.Errorf("101 findings: %v; want InvalidInputException", err)
	}
	many.Findings = many.Findings[:localaws.SecurityHubMaxFindings]
	if out, err := sh.BatchImportFindings(ctx, many); err != nil || aws.ToInt32(out.SuccessCount) != 100 {
		t.Errorf("100 findings: %+v, %v", out, err)
	}

	// Throttling is LimitExceededException (HTTP 429), retried by the SDK.
	s.Inject(localaws.Fault{API: "BatchImportFindings", Kind: "throttle", Count: 1})
	before := s.Counts()["BatchImportFindings"]
	if _, err := sh.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{finding("again")}}); err != nil {
		t.Errorf("after one throttle: %v", err)
	}
	if n := s.Counts()["BatchImportFindings"] - before; n != 2 {
		t.Errorf("%d calls; want 2 (one throttled, one retried)", n)
	}
}

// What the SDK refuses to send still gets Security Hub's answer: a finding
// without a required property, or over 240 KB, fails alone with InvalidInput.
func TestBatchImportFindingsRaw(t *testing.T) {
	s := start(t)
	good, _ := json.Marshal(finding("ok"))
	without := func(field string) string {
		var m map[string]any
		json.Unmarshal(good, &m)
		delete(m, field)
		m["Id"] = "no-" + field
		b, _ := json.Marshal(m)
		return string(b)
	}
	var big map[string]any
	json.Unmarshal(good, &big)
	big["Id"], big["Description"] = "big", strings.Repeat("d", localaws.SecurityHubMaxFindingSize)
	bigJSON, _ := json.Marshal(big)
	for _, tc := range []struct {
		name, finding, want string
	}{
		{"well formed", string(good), ""},
		{"no Title", without("Title"), "required property 'Title'"},
		{"no GeneratorId", without("GeneratorId"), "required property 'GeneratorId'"},
		{"no Resources", without("Resources"), "Resources"},
		{"over 240 KB", string(bigJSON), "240 Kb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(s.URL()+"/findings/import", "application/json", strings.NewReader(`{"Findings":[`+tc.finding+`]}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				FailedCount    int
				FailedFindings []struct{ Id, ErrorCode, ErrorMessage string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
			}
			if tc.want == "" {
				if out.FailedCount != 0 {
					t.Fatalf("failed: %+v", out.FailedFindings)
				}
				return
			}
			if out.FailedCount != 1 || out.FailedFindings[0].ErrorCode != "InvalidInput" || !strings.Contains(out.FailedFindings[0].ErrorMessage, tc.want) {
				t.Fatalf("answer %+v; want InvalidInput about %q", out, tc.want)
			}
		})
	}
}
