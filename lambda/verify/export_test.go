package verify

import (
	"fmt"
	"strings"
	"time"
)

// MaxFilterValues exposes the engine's split to its external tests.
const MaxFilterValues = maxFilterValues

// SettingsAt describes the settings a history gives at a time, for tests.
func SettingsAt(h *SettingsHistory, account, region string, at time.Time) string {
	word := func(v string, st settingAt) string {
		switch st {
		case settingCurrent:
			return "current"
		case settingUnknown:
			return "unknown"
		}
		return v
	}
	ebd, st := h.EBDAt(account, region, at)
	def, dst := h.DEFAt(account, region, at)
	return "ebd=" + word(fmt.Sprint(ebd), st) + " def=" + word(def, dst)
}

// SettingsAnswers lists SettingsAt minute by minute from start.
func SettingsAnswers(h *SettingsHistory, account, region string, start time.Time, minutes int) string {
	var b strings.Builder
	for m := range minutes {
		b.WriteString(SettingsAt(h, account, region, start.Add(time.Duration(m)*time.Minute)) + ";")
	}
	return b.String()
}
