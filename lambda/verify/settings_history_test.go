package verify_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

func settingsRecord(t *testing.T, id int, name, when, request string) *cloudtrail.Record {
	t.Helper()
	b := fmt.Sprintf(`{"eventID":"e-%d","eventName":%q,"eventSource":"ec2.amazonaws.com","eventTime":%q,"awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":%s}`, id, name, when, request)
	var r cloudtrail.Record
	if err := json.Unmarshal([]byte(b), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// Settings records apply by eventTime, not by input order: every order of
// the same records gives the same settings at every time.
func TestSettingsHistoryOrderFree(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	at := func(m int) string { return base.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	recs := []*cloudtrail.Record{
		settingsRecord(t, 1, "EnableEbsEncryptionByDefault", at(10), `{}`),
		settingsRecord(t, 2, "DisableEbsEncryptionByDefault", at(30), `{}`),
		settingsRecord(t, 3, "ModifyEbsDefaultKmsKeyId", at(20), `{"ModifyEbsDefaultKmsKeyIdRequest":{"KmsKeyId":"alias/team"}}`),
		settingsRecord(t, 4, "ModifyEbsDefaultKmsKeyId", at(40), `{"kmsKeyId":"HIDDEN_DUE_TO_SECURITY_REASONS"}`),
		settingsRecord(t, 5, "ResetEbsDefaultKmsKeyId", at(50), `{}`),
		settingsRecord(t, 6, "CreateVolume", at(15), `{}`),
	}
	want := verify.SettingsAnswers(buildHistory(recs), "222222222222", "us-east-1", base, 60)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append([]*cloudtrail.Record(nil), recs...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := verify.SettingsAnswers(buildHistory(shuffled), "222222222222", "us-east-1", base, 60); got != want {
			t.Fatalf("order %v: %s; want %s", ids(shuffled), got, want)
		}
	}
	// What the spec says, minute by minute.
	for _, tt := range []struct {
		minute int
		want   string
	}{
		{5, "ebd=unknown def=unknown"},
		{10, "ebd=true def=unknown"},
		{25, "ebd=true def=alias/team"},
		{35, "ebd=false def=alias/team"},
		{45, "ebd=false def=unknown"},
		{55, "ebd=false def=alias/aws/ebs"},
	} {
		if got := verify.SettingsAt(buildHistory(recs), "222222222222", "us-east-1", base.Add(time.Duration(tt.minute)*time.Minute)); got != tt.want {
			t.Errorf("minute %d: %s; want %s", tt.minute, got, tt.want)
		}
	}
	if got := verify.SettingsAt(buildHistory(recs), "222222222222", "eu-west-1", base); got != "ebd=current def=current" {
		t.Errorf("another Region: %s; want today's values", got)
	}
}

func buildHistory(recs []*cloudtrail.Record) *verify.SettingsHistory {
	h := verify.NewSettingsHistory()
	for _, r := range recs {
		h.AddRecord(r)
	}
	return h
}

func ids(recs []*cloudtrail.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.EventID))
	}
	return out
}

// The key a ModifyEbsDefaultKmsKeyId record set, in every shape the spec
// accepts (no public record shows the real one).
func TestSettingKeyShapes(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	arn := "arn:aws:kms:us-east-1:222222222222:key/7ea00000-0000-4000-8000-000000000021"
	for _, tt := range []struct {
		name, request, response, want string
	}{
		{"flat camelCase request", `{"kmsKeyId":"alias/team"}`, `null`, "alias/team"},
		{"flat PascalCase request", `{"KmsKeyId":"alias/team"}`, `null`, "alias/team"},
		{"wrapped request", `{"ModifyEbsDefaultKmsKeyIdRequest":{"KmsKeyId":"alias/team"}}`, `null`, "alias/team"},
		{"response only", `{}`, `{"kmsKeyId":"` + arn + `"}`, arn},
		{"wrapped response", `{}`, `{"ModifyEbsDefaultKmsKeyIdResponse":{"kmsKeyId":"` + arn + `"}}`, arn},
		{"hidden request, readable response", `{"kmsKeyId":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, `{"kmsKeyId":"` + arn + `"}`, arn},
		{"hidden everywhere", `{"kmsKeyId":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, `{"kmsKeyId":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, ""},
		{"no key", `null`, `null`, ""},
		{"request wrapper not an object", `{"ModifyEbsDefaultKmsKeyIdRequest":""}`, `{"ModifyEbsDefaultKmsKeyIdResponse":{"KmsKeyId":"` + arn + `"}}`, arn},
		{"request not an object", `""`, `{"kmsKeyId":"` + arn + `"}`, arn},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := `{"eventID":"e-1","eventName":"ModifyEbsDefaultKmsKeyId","eventSource":"ec2.amazonaws.com","eventTime":"2026-11-20T10:00:00Z","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":` + tt.request + `,"responseElements":` + tt.response + `}`
			var r cloudtrail.Record
			if err := json.Unmarshal([]byte(b), &r); err != nil {
				t.Fatal(err)
			}
			h := verify.NewSettingsHistory()
			if !h.AddRecord(&r) {
				t.Fatal("not added")
			}
			want := "ebd=current def=" + tt.want
			if tt.want == "" {
				want = "ebd=current def=unknown" // a Modify whose key cannot be read sets an unknown value
			}
			if got := verify.SettingsAt(h, "222222222222", "us-east-1", base.Add(time.Minute)); got != want {
				t.Errorf("%s; want %s", got, want)
			}
		})
	}
}
