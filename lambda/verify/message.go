package verify

import (
	"fmt"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// message explains a finding to a security engineer: what happened, what was
// intended, and how to fix it.
func message(code string, t target, res Resource, k rules.Keys, pol rules.Policy, account string) string {
	what := fmt.Sprintf("%s %s (%s of %s)", kind(t.in.Op), res.Resource, res.Device, res.Parent)
	actual := describeState(*res.Actual, k)
	switch code {
	case rules.KeyMismatch:
		return fmt.Sprintf("%s is %s, but rule %s predicts %s. EC2 did not behave as documented, or the account's EBS settings changed since the call: check the EBS defaults and key policies in %s. Fix: %s.",
			what, actual, res.Rule, describeState(rules.State{Encrypted: res.Expected.Encrypted, KMSKeyARN: res.Expected.KMSKeyARN}, k), t.region, fix(t, usableKey(res.IntendedKeyARN, t.region)))
	case rules.DefaultKeyFallback:
		note := ""
		if res.Actual.KMSKeyARN == k.AWSManaged {
			note = " Snapshots encrypted with the AWS managed key can never be shared with another account."
		}
		intended := res.IntendedKeyARN
		if intended == "" {
			intended = fmt.Sprintf("(the key of source snapshot %s, which this account cannot describe)", res.Source)
		}
		return fmt.Sprintf("%s is %s instead of the intended key %s (rule %s).%s Fix: %s.",
			what, actual, intended, res.Rule, note, fix(t, usableKey(res.IntendedKeyARN, t.region)))
	case rules.UnencryptedCode:
		return fmt.Sprintf("%s is not encrypted, and the policy requires encryption (rule %s). Fix: turn on encryption by default (aws ec2 enable-ebs-encryption-by-default --region %s) and %s.",
			what, res.Rule, t.region, fix(t, usableKey(res.IntendedKeyARN, t.region)))
	case rules.DisallowedKey:
		return fmt.Sprintf("%s is %s, which the policy does not allow in account %s, Region %s (allowed: %s). Fix: %s.",
			what, actual, account, t.region, strings.Join(pol.AllowedKeys, ", "), fix(t, pol.AllowedKeys[0]))
	}
	return what
}

func describeState(s rules.State, k rules.Keys) string {
	switch {
	case !s.Encrypted:
		return "unencrypted"
	case s.KMSKeyARN == "":
		return "encrypted with an unknown key"
	case s.KMSKeyARN == k.AWSManaged:
		return "encrypted with the AWS managed key aws/ebs (" + s.KMSKeyARN + ")"
	case s.KMSKeyARN == k.Default:
		return "encrypted with the account's default EBS key " + s.KMSKeyARN
	default:
		return "encrypted with " + s.KMSKeyARN
	}
}

// usableKey returns the key to name in a fix: the intended key when it lives
// in the Region of the resource, else a placeholder (a KMS key belongs to one
// Region; a multi-Region replica or a key of that Region is needed).
func usableKey(arn, region string) string {
	ref, err := rules.ParseKeyRef(arn)
	switch {
	case arn == "" || err != nil:
		return "<key ARN>"
	case ref.Region != "" && ref.Region != region:
		return "<a key of " + region + ">"
	default:
		return arn
	}
}

// fix is the command that makes the resource right, for the key given.
func fix(t target, key string) string {
	if t.in.Op == rules.CopyImage {
		return fmt.Sprintf("deregister %s and copy again with `aws ec2 copy-image --region %s --source-region %s --source-image-id %s --name <name> --encrypted --kms-key-id %s`",
			t.parent, t.region, t.src.Region, t.sourceImage, key)
	}
	return fmt.Sprintf("launch again with `--block-device-mappings 'DeviceName=%s,Ebs={Encrypted=true,KmsKeyId=%s}'` (or set them in the launch template), then terminate %s",
		t.device, key, t.parent)
}
