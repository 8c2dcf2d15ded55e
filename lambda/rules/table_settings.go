package rules

// Settings changes (spec/rules.md, "Settings changes: encryption by default
// and the default key"): four calls change what every later prediction rests
// on. They create no volume or snapshot, so they are not kinds of the
// registry's decision tables; each record is one resource, the setting it
// changed, judged by the rows below.

// Rule IDs of the settings-change table.
const (
	SettingEBDEnabled         = "setting/ebd/enabled"
	SettingEBDDisabled        = "setting/ebd/disabled"
	SettingEBDDisabledAllowed = "setting/ebd/disabled-allowed"
	SettingDefKeyUnusable     = "setting/defkey/unusable"
	SettingDefKeyForeign      = "setting/defkey/foreign"
	SettingDefKeyDisallowed   = "setting/defkey/disallowed"
	SettingDefKeyAllowed      = "setting/defkey/allowed"
	SettingDefKeyReset        = "setting/defkey/reset"
)

// Finding codes of settings changes.
const (
	EBDDisabled          = "EBD_DISABLED"
	UnusableDefaultKey   = "UNUSABLE_DEFAULT_KEY"
	ForeignDefaultKey    = "FOREIGN_DEFAULT_KEY"
	DisallowedDefaultKey = "DISALLOWED_DEFAULT_KEY"
)

// The resources a settings change is about (formats.md §4).
const (
	EBDResource        = "ebs-encryption-by-default"
	DefaultKeyResource = "ebs-default-kms-key"
)

// SettingOp is one of the four settings calls.
type SettingOp uint8

// The settings calls.
const (
	EnableEBD SettingOp = iota + 1
	DisableEBD
	ModifyDefaultKey
	ResetDefaultKey
)

// SettingChange is one settings call as the rules see it.
type SettingChange struct {
	Op        SettingOp
	EventName string
	// Resource is the setting it changes: EBDResource or DefaultKeyResource.
	Resource string
	// Fix is the AWS CLI command that puts the setting back, for messages;
	// <region> and <key> stand for the Region and a key.
	Fix string
}

// MovesEBD reports whether the call changes encryption by default (Enable,
// Disable); the others change the default key.
func (c SettingChange) MovesEBD() bool { return c.Resource == EBDResource }

var settingChanges = []SettingChange{
	{Op: EnableEBD, EventName: "EnableEbsEncryptionByDefault", Resource: EBDResource,
		Fix: "aws ec2 disable-ebs-encryption-by-default --region <region>"},
	{Op: DisableEBD, EventName: "DisableEbsEncryptionByDefault", Resource: EBDResource,
		Fix: "aws ec2 enable-ebs-encryption-by-default --region <region>"},
	{Op: ModifyDefaultKey, EventName: "ModifyEbsDefaultKmsKeyId", Resource: DefaultKeyResource,
		Fix: "aws ec2 modify-ebs-default-kms-key-id --region <region> --kms-key-id <key>"},
	{Op: ResetDefaultKey, EventName: "ResetEbsDefaultKmsKeyId", Resource: DefaultKeyResource,
		Fix: "aws ec2 modify-ebs-default-kms-key-id --region <region> --kms-key-id <key>"},
}

// SettingChanges lists the four settings calls.
func SettingChanges() []SettingChange { return append([]SettingChange(nil), settingChanges...) }

// SettingChangeByEvent returns the settings call a CloudTrail event name announces.
func SettingChangeByEvent(eventName string) (SettingChange, bool) {
	for _, c := range settingChanges {
		if c.EventName == eventName {
			return c, true
		}
	}
	return SettingChange{}, false
}

// SettingInput is what decides a settings change's row.
type SettingInput struct {
	Op SettingOp
	// RequireEncryption is the policy's requireEncryption.
	RequireEncryption bool
	// KeyUnusable: the new DEF (Modify) is not found, not Enabled, or not a
	// symmetric encrypt/decrypt key.
	KeyUnusable bool
	// KeyForeign: the new DEF belongs to another account.
	KeyForeign bool
	// LimitKeys: at least one allowedKeys entry applies to the account and
	// Region; KeyAllowed: one of them names the new DEF.
	LimitKeys, KeyAllowed bool
	// AWSManaged: the new DEF is the AWS managed key (always so for Reset).
	AWSManaged bool
}

// settingRow is one row of the settings table. Its conditions are a function:
// the columns of the other tables do not apply.
type settingRow struct {
	id, event, when string
	applies         func(SettingInput) bool
	finding         string // "" for none
}

func (r settingRow) severity(in SettingInput) string {
	if r.finding == DisallowedDefaultKey && !in.AWSManaged {
		return Medium
	}
	return High
}

// settingsTable is spec/rules.md's settings-change table, in its order.
var settingsTable = []settingRow{
	{SettingEBDEnabled, "EnableEbsEncryptionByDefault", "–",
		func(in SettingInput) bool { return in.Op == EnableEBD }, ""},
	{SettingEBDDisabled, "DisableEbsEncryptionByDefault", "the policy requires encryption (the default)",
		func(in SettingInput) bool { return in.Op == DisableEBD && in.RequireEncryption }, EBDDisabled},
	{SettingEBDDisabledAllowed, "DisableEbsEncryptionByDefault", "`requireEncryption` is false",
		func(in SettingInput) bool { return in.Op == DisableEBD && !in.RequireEncryption }, ""},
	{SettingDefKeyUnusable, "ModifyEbsDefaultKmsKeyId", "the new DEF is not found, not `Enabled`, or not a symmetric encrypt/decrypt key",
		func(in SettingInput) bool { return in.Op == ModifyDefaultKey && in.KeyUnusable }, UnusableDefaultKey},
	{SettingDefKeyForeign, "ModifyEbsDefaultKmsKeyId", "the new DEF belongs to another account and no applying `allowedKeys` entry names it",
		func(in SettingInput) bool { return in.Op == ModifyDefaultKey && in.KeyForeign && !in.KeyAllowed }, ForeignDefaultKey},
	{SettingDefKeyDisallowed, "ModifyEbsDefaultKmsKeyId or ResetEbsDefaultKmsKeyId", "`allowedKeys` entries apply and none names the new DEF",
		func(in SettingInput) bool {
			return (in.Op == ModifyDefaultKey || in.Op == ResetDefaultKey) && in.LimitKeys && !in.KeyAllowed
		}, DisallowedDefaultKey},
	{SettingDefKeyAllowed, "ModifyEbsDefaultKmsKeyId", "none of the three rows above applies",
		func(in SettingInput) bool { return in.Op == ModifyDefaultKey }, ""},
	{SettingDefKeyReset, "ResetEbsDefaultKmsKeyId", "`setting/defkey/disallowed` does not apply",
		func(in SettingInput) bool { return in.Op == ResetDefaultKey }, ""},
}

// DecideSetting returns the rule of a settings change, the first applying row
// in the table's order, and every finding of every applying row (a foreign
// key may also be disabled and not allowed).
func DecideSetting(in SettingInput) (string, []Finding) {
	rule := ""
	var out []Finding
	for _, r := range settingsTable {
		if !r.applies(in) {
			continue
		}
		if rule == "" {
			rule = r.id
		}
		if r.finding != "" {
			out = append(out, Finding{Code: r.finding, Severity: r.severity(in)})
		}
	}
	return rule, out
}

// SettingRuleIDs lists the settings table's rule IDs in the spec's order.
func SettingRuleIDs() []string {
	out := make([]string, len(settingsTable))
	for i, r := range settingsTable {
		out[i] = r.id
	}
	return out
}

// SettingRows documents the settings table, row by row.
func SettingRows() []RowDoc {
	out := make([]RowDoc, len(settingsTable))
	for i, r := range settingsTable {
		result := "none (compliant)"
		if r.finding != "" {
			result = "`" + r.finding + "`"
		}
		out[i] = RowDoc{RuleID: r.id, When: r.event + ": " + r.when, Result: result}
	}
	return out
}
