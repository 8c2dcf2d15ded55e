package verify

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// SettingsHistory is what the settings-change records of an input (replay,
// backfill) or of a window's event history (audit) say about encryption by
// default (EBD) and the default key (DEF) over time, per account and Region
// (spec/rules.md, "Settings as they were at the event"). EBD and DEF have
// separate timelines; a setting with no change keeps its current value.
// The zero value and nil hold no change. It is safe for concurrent use once
// filled.
type SettingsHistory struct {
	mu      sync.RWMutex
	changes map[string][]settingsChange // account/region → sorted by time
}

// settingsChange is one settings-change record.
type settingsChange struct {
	when    time.Time
	eventID string
	op      rules.SettingOp
	// keyRef is the DEF a Modify set, as written; "" when it cannot be read.
	keyRef string
}

// NewSettingsHistory returns an empty history.
func NewSettingsHistory() *SettingsHistory { return &SettingsHistory{} }

// AddRecord adds a record if it is a successful settings change with a
// readable time, account and Region, and reports whether it did.
func (h *SettingsHistory) AddRecord(r *cloudtrail.Record) bool {
	if h == nil || r == nil || r.ErrorCode != "" {
		return false
	}
	c, ok := rules.SettingChangeByEvent(string(r.EventName))
	if !ok {
		return false
	}
	when, ok := r.ParsedTime()
	if !ok || r.Account() == "" || r.AWSRegion == "" {
		return false
	}
	ch := settingsChange{when: when, eventID: string(r.EventID), op: c.Op}
	switch c.Op {
	case rules.ModifyDefaultKey:
		ch.keyRef, _ = settingKey(r)
	case rules.ResetDefaultKey:
		ch.keyRef = rules.AWSManagedAlias
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.changes == nil {
		h.changes = map[string][]settingsChange{}
	}
	k := r.Account() + "/" + string(r.AWSRegion)
	list := h.changes[k]
	if slices.ContainsFunc(list, func(o settingsChange) bool { return o.eventID != "" && o.eventID == ch.eventID }) {
		return true // the same record read twice
	}
	i, _ := slices.BinarySearchFunc(list, ch.when, func(o settingsChange, t time.Time) int { return o.when.Compare(t) })
	for i < len(list) && !list[i].when.After(ch.when) {
		i++ // equal times keep input order
	}
	h.changes[k] = slices.Insert(list, i, ch)
	return true
}

// Len is the number of settings changes held.
func (h *SettingsHistory) Len() int {
	if h == nil {
		return 0
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, l := range h.changes {
		n += len(l)
	}
	return n
}

// settingAt is a setting's value at a time, as the history knows it.
type settingAt uint8

const (
	settingCurrent settingAt = iota // no change recorded: today's value holds
	settingKnown                    // set by the latest change at or before the time
	settingUnknown                  // before the first change, or set to an unreadable key
)

func (h *SettingsHistory) list(account, region string) []settingsChange {
	if h == nil {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.changes[account+"/"+region]
}

// EBDAt returns encryption by default at a time.
func (h *SettingsHistory) EBDAt(account, region string, at time.Time) (bool, settingAt) {
	seen := false
	value, state := false, settingUnknown
	for _, c := range h.list(account, region) {
		if c.op != rules.EnableEBD && c.op != rules.DisableEBD {
			continue
		}
		seen = true
		if c.when.After(at) {
			break
		}
		value, state = c.op == rules.EnableEBD, settingKnown
	}
	if !seen {
		return false, settingCurrent
	}
	return value, state
}

// DEFAt returns the default key reference at a time.
func (h *SettingsHistory) DEFAt(account, region string, at time.Time) (string, settingAt) {
	seen := false
	ref, state := "", settingUnknown
	for _, c := range h.list(account, region) {
		if c.op != rules.ModifyDefaultKey && c.op != rules.ResetDefaultKey {
			continue
		}
		seen = true
		if c.when.After(at) {
			break
		}
		ref, state = c.keyRef, settingKnown
		if ref == "" {
			state = settingUnknown
		}
	}
	if !seen {
		return "", settingCurrent
	}
	return ref, state
}

// DEFRefs lists every default key the changes set for the account and Region.
func (h *SettingsHistory) DEFRefs(account, region string) []string {
	var out []string
	for _, c := range h.list(account, region) {
		if c.keyRef != "" && !slices.Contains(out, c.keyRef) {
			out = append(out, c.keyRef)
		}
	}
	return out
}

// laterChange reports whether a change of the same setting as op follows the
// record at `at` (another record than eventID).
func (h *SettingsHistory) laterChange(account, region string, op rules.SettingOp, at time.Time, eventID string) bool {
	ebd := op == rules.EnableEBD || op == rules.DisableEBD
	for _, c := range h.list(account, region) {
		if (c.op == rules.EnableEBD || c.op == rules.DisableEBD) != ebd || (eventID != "" && c.eventID == eventID) {
			continue
		}
		if c.when.After(at) {
			return true
		}
	}
	return false
}

// settingKey reads the key a ModifyEbsDefaultKmsKeyId record set. No public
// record shows its shape (spec/rules.md): the key is accepted as kmsKeyId or
// KmsKeyId, at the top of the request or the response or wrapped in a member
// named after the event (<EventName>Request, <EventName>Response). The marker
// (HiddenMarker, hidden.go) means unreadable.
func settingKey(r *cloudtrail.Record) (string, bool) {
	var req, resp settingKeyRecord
	for _, ref := range []string{keyOf(r.Request(&req), req), keyOf(r.Response(&resp), resp)} {
		if ref != "" && !keyHidden(ref) {
			return ref, true
		}
	}
	return "", false
}

// settingKeyRecord is what settingKey reads of a ModifyEbsDefaultKmsKeyId
// request or response (verify.RecordShape: all that capture keeps).
type settingKeyRecord struct {
	Request  *settingKeyWrapped `json:"ModifyEbsDefaultKmsKeyIdRequest"`
	Response *settingKeyWrapped `json:"ModifyEbsDefaultKmsKeyIdResponse"`
	settingKeyMembers
}

type settingKeyMembers struct {
	KMSKeyID cloudtrail.String `json:"kmsKeyId"` // or KmsKeyId: encoding/json matches either case
}

// settingKeyWrapped is the wrapped form; a wrapper that is not an object
// ("ModifyEbsDefaultKmsKeyIdRequest": "") holds no key.
type settingKeyWrapped settingKeyMembers

func (w *settingKeyWrapped) UnmarshalJSON(b []byte) error {
	var m settingKeyMembers
	if json.Unmarshal(b, &m) == nil {
		*w = settingKeyWrapped(m)
	}
	return nil
}

// keyOf is the key a decoded request or response names: at the top, else
// wrapped; none when it did not decode.
func keyOf(err error, r settingKeyRecord) string {
	switch {
	case err != nil:
		return ""
	case r.KMSKeyID != "":
		return string(r.KMSKeyID)
	case r.Request != nil && r.Request.KMSKeyID != "":
		return string(r.Request.KMSKeyID)
	case r.Response != nil && r.Response.KMSKeyID != "":
		return string(r.Response.KMSKeyID)
	}
	return ""
}
