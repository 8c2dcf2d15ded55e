package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// The settings-change kind (spec/rules.md, "Settings changes"): Enable- and
// DisableEbsEncryptionByDefault, Modify- and ResetEbsDefaultKmsKeyId. Each
// record is one resource, the setting it changed, with `expected` null and
// `actual` the settings it set: {"encrypted": EBD, "kmsKeyArn": DEF}.

// ReasonSuperseded skips a Modify whose key cannot be read while a later
// change of the default key is known: its value can no longer be read now.
const ReasonSuperseded = "superseded"

func (e *Engine) judgeSetting(s *session, c rules.SettingChange, r *cloudtrail.Record, v *Verdict) error {
	region := s.region
	in := rules.SettingInput{Op: c.Op, RequireEncryption: e.policy.requireEncryption()}
	var ebd bool
	var defRef string
	var err error
	switch c.Op {
	case rules.EnableEBD, rules.DisableEBD:
		ebd = c.Op == rules.EnableEBD
		if defRef, err = s.defaultKeyRef(region); err != nil {
			return err
		}
	case rules.ModifyDefaultKey, rules.ResetDefaultKey:
		if ebd, err = s.ebd(region); err != nil {
			return err
		}
		defRef = rules.AWSManagedAlias
		if c.Op == rules.ModifyDefaultKey {
			ref, ok := settingKey(r)
			if !ok {
				if s.history.laterChange(s.account, region, c.Op, s.when, string(r.EventID)) {
					return skip{ReasonSuperseded}
				}
				// No later change known: today's DEF is the one it set.
				if ref, err = s.currentDefaultKeyRef(region); err != nil {
					return err
				}
			}
			defRef = ref
		}
	}
	key, why, err := s.defaultKeyFacts(region, defRef)
	if err != nil {
		return err
	}
	in.AWSManaged = c.Op == rules.ResetDefaultKey || key.awsManaged
	if c.Op == rules.ModifyDefaultKey {
		in.KeyUnusable = why != ""
		in.KeyForeign = key.account != "" && key.account != s.account
	}
	if c.Op == rules.ModifyDefaultKey || c.Op == rules.ResetDefaultKey {
		pol, err := s.policy(e.policy, region, rules.EncryptedWith(key.arn))
		if err != nil {
			return err
		}
		in.LimitKeys = pol.LimitKeys
		in.KeyAllowed = slices.Contains(pol.AllowedKeys, key.arn)
	}
	rule, findings := rules.DecideSetting(in)
	actual := rules.State{Encrypted: ebd, KMSKeyARN: key.arn}
	res := Resource{Resource: c.Resource, Rule: rule, Actual: &actual, Findings: []string{}}
	for _, f := range findings {
		res.Findings = append(res.Findings, f.Code)
		msg, fix := settingMessage(f.Code, rule, s, c, r, key, why, e.policy)
		v.Findings = append(v.Findings, Finding{Code: f.Code, Severity: f.Severity, Resource: c.Resource, Message: msg, Fix: fix})
	}
	v.Resources = append(v.Resources, res)
	v.Warnings = s.warnings
	v.settle()
	return nil
}

// currentDefaultKeyRef is today's DEF, whatever the history says.
func (s *session) currentDefaultKeyRef(region string) (string, error) {
	h := s.history
	s.history, s.carried = nil, nil
	defer func() { s.history = h }()
	return s.defaultKeyRef(region)
}

// keyFacts is what a settings verdict needs of a new default key.
type keyFacts struct {
	arn        string // the key ARN; the reference as written when it does not resolve
	account    string // the account that owns it, from its ARN ("" when unknown)
	awsManaged bool
}

// defaultKeyFacts describes the key a default key reference names. why says
// why the key is unusable for EBS ("" when usable): not found, not Enabled,
// or not a symmetric encrypt/decrypt key.
func (s *session) defaultKeyFacts(region, ref string) (keyFacts, string, error) {
	facts := keyFacts{arn: ref, awsManaged: ref == rules.AWSManagedAlias}
	if parsed, err := rules.ParseKeyRef(ref); err == nil && parsed.Account != "" {
		facts.account = parsed.Account
	}
	lookupRegion := region
	if parsed, err := rules.ParseKeyRef(ref); err == nil && parsed.Region != "" {
		lookupRegion = parsed.Region
	}
	md, err := remember(s, "keymeta/"+s.account+"/"+lookupRegion+"/"+ref, perEvent, func() (*kmstypes.KeyMetadata, error) {
		c, err := s.clients.KMS(s.ctx, s.account, lookupRegion)
		if err != nil {
			return nil, fmt.Errorf("kms client for %s in %s: %w", s.account, lookupRegion, err)
		}
		out, err := s.sdkKMS(c, lookupRegion).DescribeKey(s.ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("describe key %s in %s: %w", ref, lookupRegion, err)
		}
		return out.KeyMetadata, nil
	})
	if err != nil && !IsTransient(err) && facts.account != "" && facts.account != s.account {
		// Another account's key this account may not describe: its ARN
		// still says whose it is.
		s.warn("default key %s: %v; judged from its ARN", ref, err)
		return facts, "", nil
	}
	if err != nil {
		return facts, "", err
	}
	if md == nil {
		return facts, "it does not exist (KMS DescribeKey: not found)", nil
	}
	if arn := aws.ToString(md.Arn); arn != "" {
		facts.arn = arn
		if parsed, err := rules.ParseKeyRef(arn); err == nil {
			facts.account = parsed.Account
		}
	}
	if md.KeyManager == kmstypes.KeyManagerTypeAws {
		facts.awsManaged = facts.awsManaged || facts.account == s.account
	}
	switch {
	case md.KeyState != "" && md.KeyState != kmstypes.KeyStateEnabled:
		return facts, fmt.Sprintf("its state is %s", md.KeyState), nil
	case md.KeySpec != "" && md.KeySpec != kmstypes.KeySpecSymmetricDefault:
		return facts, fmt.Sprintf("it is a %s key, and EBS supports only symmetric keys", md.KeySpec), nil
	case md.KeyUsage != "" && md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt:
		return facts, fmt.Sprintf("its usage is %s, not ENCRYPT_DECRYPT", md.KeyUsage), nil
	}
	return facts, "", nil
}

// settingMessage says what a settings finding means, and apart the command
// that puts it right.
func settingMessage(code, rule string, s *session, c rules.SettingChange, r *cloudtrail.Record, key keyFacts, why string, p Policy) (msg, fix string) {
	where := fmt.Sprintf("account %s, Region %s", s.account, s.region)
	fixWith := func(k string) string {
		return strings.NewReplacer("<region>", s.region, "<key>", k).Replace(c.Fix)
	}
	ownKey := usableKey("", s.account, s.region)
	allowed := p.applicable(s.account, s.region)
	if len(allowed) > 0 {
		ownKey = allowed[0]
	}
	switch code {
	case rules.EBDDisabled:
		return fmt.Sprintf("encryption by default was turned off in %s: volumes, and snapshot copies, created from now on without encryption parameters are unencrypted, and the policy requires encryption (rule %s).",
			where, rule), fixWith("")
	case rules.UnusableDefaultKey:
		return fmt.Sprintf("the default EBS key of %s was set to %s, and %s: instances that launch with encrypted volumes, and volumes created with the default key, will fail (rule %s).",
			where, key.arn, why, rule), fmt.Sprintf("%s (or aws ec2 reset-ebs-default-kms-key-id --region %s)", fixWith(ownKey), s.region)
	case rules.ForeignDefaultKey:
		return fmt.Sprintf("the default EBS key of %s was set to %s, a key of account %s: every volume encrypted by default now depends on another account's key and its key policy (rule %s).",
			where, key.arn, key.account, rule), fixWith(ownKey)
	case rules.DisallowedDefaultKey:
		extra := ""
		if key.awsManaged {
			extra = " Snapshots encrypted with the AWS managed key can never be shared with another account."
		}
		return fmt.Sprintf("the default EBS key of %s was set to %s, which none of the policy's allowed keys names (rule %s).%s",
			where, key.arn, rule, extra), fixWith(ownKey)
	}
	return fmt.Sprintf("%s: %s in %s (rule %s)", code, c.EventName, where, rule), ""
}
