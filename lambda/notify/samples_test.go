package notify_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The messages of real samples' verdicts (events/samples/*/want.json), each
// checked for what a person needs to act on it (issue 9 §6).
func TestMessagesOfSamples(t *testing.T) {
	read := func(t *testing.T, sample string) verify.Verdict {
		t.Helper()
		b, err := os.ReadFile("../../events/samples/" + sample + "/want.json")
		if err != nil {
			t.Fatal(err)
		}
		var v verify.Verdict
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		sample      string
		subject     string   // a prefix
		text, never []string // what the e-mail says, and must not say
	}{
		{"launch-shared-snapshot-not-visible", "ebsguard HIGH: DEFAULT_KEY_FALLBACK",
			[]string{"the source snapshot's key (not visible to this account)", "launched from ami-0a3300000000000cc", "KmsKeyId=<a key of 222222222222 in us-east-1>", "1 problem "},
			[]string{"no particular key"}},
		{"launch-encrypted-shared", "ebsguard HIGH: DEFAULT_KEY_FALLBACK",
			[]string{"launched from ami-0a3300000000000cc", "KmsKeyId=<a key of 222222222222 in us-east-1>"},
			[]string{"KmsKeyId=arn:aws:kms:us-east-1:111111111111"}},
		// Two findings on each of two volumes: one paragraph per volume, and
		// its fix said once.
		{"launch-fleet-template-mismatch", "ebsguard HIGH: KEY_MISMATCH +3",
			[]string{"4 problems", "   fix:      launch again"}, nil},
		// The highest severity names the subject, not the first finding.
		{"copy-encrypted-owned-alternative", "ebsguard MEDIUM: DEFAULT_KEY_FALLBACK", []string{"1 problem "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			v := read(t, tt.sample)
			if got := notify.Subject(v); !strings.HasPrefix(got, tt.subject) {
				t.Errorf("subject %q; want it to start %q", got, tt.subject)
			}
			text := notify.Text(v)
			for _, want := range tt.text {
				if !strings.Contains(text, want) {
					t.Errorf("the e-mail lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range tt.never {
				if strings.Contains(text, bad) {
					t.Errorf("the e-mail says %q:\n%s", bad, text)
				}
			}
			if n := strings.Count(text, "launch again from"); tt.sample == "launch-fleet-template-mismatch" && n != 2 {
				t.Errorf("the fix appears %d times; want once per volume:\n%s", n, text)
			}
			for _, r := range v.Resources {
				heading := regexp.MustCompile(`(?m)^\d+\. \w+ ` + regexp.QuoteMeta(r.Resource) + ` `)
				if n := len(heading.FindAllString(text, -1)); len(r.Findings) > 0 && n != 1 {
					t.Errorf("resource %s with %d findings has %d paragraphs; want one:\n%s", r.Resource, len(r.Findings), n, text)
				}
			}
		})
	}
}
