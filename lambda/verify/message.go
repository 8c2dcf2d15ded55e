package verify

import (
	"fmt"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// message explains a finding to a security engineer: what happened and what
// was intended; and, apart, how to fix it.
func message(code string, t target, res Resource, k rules.Keys, pol rules.Policy, account string) (msg, fix string) {
	what := describeResult(t, res)
	actual := describeState(*res.Actual, k)
	fixWith := func(key string) string { return t.impl.fix(t, key) }
	switch code {
	case rules.KeyMismatch:
		return fmt.Sprintf("%s is %s, but rule %s predicts %s. EC2 did not behave as documented, or the account's EBS settings changed since the call: check the EBS defaults and key policies in %s.",
				what, actual, res.Rule, describeState(rules.State{Encrypted: res.Expected.Encrypted, KMSKeyARN: res.Expected.KMSKeyARN}, k), t.region),
			fixWith(usableKey(res.IntendedKeyARN, account, t.region))
	case rules.DefaultKeyFallback:
		note := ""
		switch {
		case res.Actual.KMSKeyARN != k.AWSManaged:
		case t.kind.Creates == "volume":
			note = " Its snapshots will be under the AWS managed key too, and those can never be shared with another account."
		default:
			note = " Snapshots encrypted with the AWS managed key can never be shared with another account."
		}
		intended := res.IntendedKeyARN
		switch {
		case intended != "":
		case t.src.KeyRef != "":
			intended = fmt.Sprintf("(the key %s of source snapshot %s, which does not resolve in this account)", t.src.KeyRef, res.Source)
		default:
			intended = fmt.Sprintf("(the key of source snapshot %s, which this account cannot describe)", res.Source)
		}
		return fmt.Sprintf("%s is %s instead of the intended key %s (rule %s).%s",
				what, actual, intended, res.Rule, note),
			fixWith(usableKey(res.IntendedKeyARN, account, t.region))
	case rules.UnencryptedCode:
		return fmt.Sprintf("%s is not encrypted, and the policy requires encryption (rule %s).", what, res.Rule),
			fmt.Sprintf("turn on encryption by default (aws ec2 enable-ebs-encryption-by-default --region %s) and %s",
				t.region, fixWith(usableKey(res.IntendedKeyARN, account, t.region)))
	case rules.DisallowedKey:
		allowed, key := "none resolves here", usableKey("", account, t.region)
		if len(pol.AllowedKeys) > 0 {
			allowed, key = strings.Join(pol.AllowedKeys, ", "), pol.AllowedKeys[0]
		}
		return fmt.Sprintf("%s is %s, which the policy does not allow in account %s, Region %s (allowed: %s).",
			what, actual, account, t.region, allowed), fixWith(key)
	}
	return what, ""
}

// describeResult names the result and where it comes from: the device of the
// instance or AMI, and what the kind adds (the AMI a launch came from).
func describeResult(t target, res Resource) string {
	if t.device == "" {
		return fmt.Sprintf("%s %s%s", t.kind.Creates, res.Resource, describeSource(t))
	}
	return fmt.Sprintf("%s %s (%s of %s%s)%s", t.kind.Creates, res.Resource, res.Device, res.Parent, t.from, describeSource(t))
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

// usableKey returns the key to name in a fix: the intended key when the
// account can use it where the resource lives, else a placeholder naming the
// account and Region whose key it must be, always in the same form. A KMS key
// belongs to one Region, and the key of an account that shared a snapshot or
// AMI is the owner's, not one the caller should encrypt its copy with.
func usableKey(arn, account, region string) string {
	if ref, err := rules.ParseKeyRef(arn); arn != "" && err == nil &&
		(ref.Account == "" || ref.Account == account) && (ref.Region == "" || ref.Region == region) {
		return arn
	}
	return "<a key of " + account + " in " + region + ">"
}

// shellQuote quotes a word for a POSIX shell unless it is made only of
// characters that need no quoting, so that a device name or key taken from a
// record cannot break out of a suggested command.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/:._-=,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
