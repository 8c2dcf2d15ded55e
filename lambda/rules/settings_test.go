package rules_test

import (
	"reflect"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// One case per row of the settings table, and the combinations the spec
// names: several findings at once, the rule the first applying row.
func TestDecideSetting(t *testing.T) {
	f := func(code, sev string) rules.Finding { return rules.Finding{Code: code, Severity: sev} }
	tests := []struct {
		name     string
		in       rules.SettingInput
		rule     string
		findings []rules.Finding
	}{
		{"enable", rules.SettingInput{Op: rules.EnableEBD, RequireEncryption: true}, rules.SettingEBDEnabled, nil},
		{"disable, encryption required", rules.SettingInput{Op: rules.DisableEBD, RequireEncryption: true}, rules.SettingEBDDisabled, []rules.Finding{f(rules.EBDDisabled, rules.High)}},
		{"disable, encryption not required", rules.SettingInput{Op: rules.DisableEBD}, rules.SettingEBDDisabledAllowed, nil},
		{"modify to a disabled key", rules.SettingInput{Op: rules.ModifyDefaultKey, KeyUnusable: true}, rules.SettingDefKeyUnusable, []rules.Finding{f(rules.UnusableDefaultKey, rules.High)}},
		{"modify to a foreign key, default policy", rules.SettingInput{Op: rules.ModifyDefaultKey, KeyForeign: true}, rules.SettingDefKeyForeign, []rules.Finding{f(rules.ForeignDefaultKey, rules.High)}},
		{"modify to a foreign key an entry allows", rules.SettingInput{Op: rules.ModifyDefaultKey, KeyForeign: true, LimitKeys: true, KeyAllowed: true}, rules.SettingDefKeyAllowed, nil},
		{"modify to a key no entry allows", rules.SettingInput{Op: rules.ModifyDefaultKey, LimitKeys: true}, rules.SettingDefKeyDisallowed, []rules.Finding{f(rules.DisallowedDefaultKey, rules.Medium)}},
		{"modify to aws/ebs, not allowed", rules.SettingInput{Op: rules.ModifyDefaultKey, LimitKeys: true, AWSManaged: true}, rules.SettingDefKeyDisallowed, []rules.Finding{f(rules.DisallowedDefaultKey, rules.High)}},
		{"modify to an allowed key", rules.SettingInput{Op: rules.ModifyDefaultKey, LimitKeys: true, KeyAllowed: true}, rules.SettingDefKeyAllowed, nil},
		{"modify, no policy", rules.SettingInput{Op: rules.ModifyDefaultKey}, rules.SettingDefKeyAllowed, nil},
		{"foreign, disabled and not allowed: every finding, the first row", rules.SettingInput{Op: rules.ModifyDefaultKey, KeyUnusable: true, KeyForeign: true, LimitKeys: true},
			rules.SettingDefKeyUnusable, []rules.Finding{f(rules.UnusableDefaultKey, rules.High), f(rules.ForeignDefaultKey, rules.High), f(rules.DisallowedDefaultKey, rules.Medium)}},
		{"reset, aws/ebs not allowed", rules.SettingInput{Op: rules.ResetDefaultKey, LimitKeys: true, AWSManaged: true}, rules.SettingDefKeyDisallowed, []rules.Finding{f(rules.DisallowedDefaultKey, rules.High)}},
		{"reset", rules.SettingInput{Op: rules.ResetDefaultKey, AWSManaged: true}, rules.SettingDefKeyReset, nil},
		{"reset, aws/ebs allowed", rules.SettingInput{Op: rules.ResetDefaultKey, LimitKeys: true, KeyAllowed: true, AWSManaged: true}, rules.SettingDefKeyReset, nil},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, got := rules.DecideSetting(tt.in)
			seen[rule] = true
			if rule != tt.rule || !reflect.DeepEqual(got, tt.findings) {
				t.Errorf("DecideSetting(%+v) = %s, %v; want %s, %v", tt.in, rule, got, tt.rule, tt.findings)
			}
		})
	}
	for _, id := range rules.SettingRuleIDs() {
		if !seen[id] {
			t.Errorf("rule %s has no test case", id)
		}
	}
}

// Every input gets exactly one rule, of the call's own rows.
func TestDecideSettingIsTotal(t *testing.T) {
	bools := []bool{false, true}
	for _, c := range rules.SettingChanges() {
		for _, req := range bools {
			for _, unusable := range bools {
				for _, foreign := range bools {
					for _, limit := range bools {
						for _, allowed := range bools {
							in := rules.SettingInput{Op: c.Op, RequireEncryption: req, KeyUnusable: unusable, KeyForeign: foreign, LimitKeys: limit, KeyAllowed: allowed}
							rule, _ := rules.DecideSetting(in)
							if rule == "" {
								t.Errorf("DecideSetting(%+v): no row", in)
							}
							if (c.MovesEBD()) != (rule[:len("setting/ebd")] == "setting/ebd") {
								t.Errorf("%s: rule %s is of the other setting", c.EventName, rule)
							}
						}
					}
				}
			}
		}
	}
	if got, ok := rules.SettingChangeByEvent("DisableEbsEncryptionByDefault"); !ok || got.Op != rules.DisableEBD {
		t.Errorf("SettingChangeByEvent(DisableEbsEncryptionByDefault) = %+v, %v", got, ok)
	}
}
