package notify_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// A settings change's e-mail says what the finding means and the command
// that puts it right, and names the setting, not a volume or snapshot.
func TestSettingsChangeText(t *testing.T) {
	for _, tt := range []struct{ sample, means, fix string }{
		{"setting-ebd-disabled", "encryption by default was turned off", "aws ec2 enable-ebs-encryption-by-default --region us-east-1"},
		{"setting-defkey-unusable", "its state is Disabled", "aws ec2 modify-ebs-default-kms-key-id --region us-east-1"},
		{"setting-defkey-foreign", "a key of account 111111111111", "aws ec2 modify-ebs-default-kms-key-id --region us-east-1"},
		{"setting-defkey-disallowed", "none of the policy's allowed keys names", "--kms-key-id alias/golden"},
	} {
		t.Run(tt.sample, func(t *testing.T) {
			b, err := os.ReadFile("../../events/samples/" + tt.sample + "/want.json")
			if err != nil {
				t.Fatal(err)
			}
			var v verify.Verdict
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			text, subject := notify.Text(v), notify.Subject(v)
			for _, want := range []string{tt.means, tt.fix, v.Resources[0].Resource} {
				if !strings.Contains(text, want) {
					t.Errorf("e-mail lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(subject, "volume") || strings.Contains(subject, "snapshot") {
				t.Errorf("subject %q names a volume or snapshot", subject)
			}
			if testing.Verbose() {
				t.Logf("%s\n%s", subject, text)
			}
		})
	}
}
