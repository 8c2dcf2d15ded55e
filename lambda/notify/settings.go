package notify

import (
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// SettingsLine describes what a settings change set, in place of the
// intended and actual keys of a volume or snapshot; ok is false for any other
// record.
func SettingsLine(v verify.Verdict, r verify.Resource) (string, bool) {
	if _, ok := rules.SettingChangeByEvent(v.EventName); !ok || r.Actual == nil {
		return "", false
	}
	ebd := "off"
	if r.Actual.Encrypted {
		ebd = "on"
	}
	return "encryption by default " + ebd + ", default key " + p(r.Actual.KMSKeyARN), true
}
