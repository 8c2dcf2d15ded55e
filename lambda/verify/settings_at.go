package verify

import (
	"encoding/json"
	"slices"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Settings as they were at the event (spec/rules.md): a record is judged
// against the EBD and DEF in force at its eventTime. Three sources, in order:
// the values a first look read and a re-check message carries (the Lambda);
// the settings-change records of the input (replay, audit, backfill); today's
// values (GetEbsEncryptionByDefault, GetEbsDefaultKmsKeyId).

// CarriedSettings are EBD and DEF of the call's Region as a first look read
// them, carried in re-check messages.
type CarriedSettings struct {
	EBD *bool  `json:"ebd,omitempty"`
	DEF string `json:"def,omitempty"` // the reference GetEbsDefaultKmsKeyId gave
	// OrigEncrypted and OrigKeyARN are a root replacement's original root
	// volume, read before the swap (kind_rootreplace.go).
	OrigEncrypted *bool  `json:"origEncrypted,omitempty"`
	OrigKeyARN    string `json:"origKeyArn,omitempty"`
}

// NoteSettingsUnknown is the resource note of a judgement made while EBD or
// DEF at the event's time is unknown.
const NoteSettingsUnknown = "settings at the event's time unknown"

// ebdAtEvent returns EBD at the record's time when something other than
// today's value says it; unknown reports a value before the first change.
func (s *session) ebdAtEvent(region string) (value bool, known, unknown bool) {
	if region == s.region && s.carried != nil && s.carried.EBD != nil {
		return *s.carried.EBD, true, false
	}
	v, st := s.history.EBDAt(s.account, region, s.when)
	switch st {
	case settingKnown:
		return v, true, false
	case settingUnknown:
		s.unknownSetting(region, "ebd")
		return false, false, true
	}
	return false, false, false
}

// defAtEvent returns DEF's reference at the record's time when something
// other than today's value says it.
func (s *session) defAtEvent(region string) (ref string, known bool) {
	if region == s.region && s.carried != nil && s.carried.DEF != "" {
		return s.carried.DEF, true
	}
	v, st := s.history.DEFAt(s.account, region, s.when)
	switch st {
	case settingKnown:
		return v, true
	case settingUnknown:
		s.unknownSetting(region, "def")
	}
	return "", false
}

func (s *session) unknownSetting(region, which string) { s.memo["unknown/"+which+"/"+region] = true }

func (s *session) isUnknown(region, which string) bool {
	_, ok := s.memo["unknown/"+which+"/"+region]
	return ok
}

// readSettings returns what the event read of the call Region's settings, to
// carry in re-check messages; nil when it read neither.
func (s *session) readSettings() *CarriedSettings {
	var c CarriedSettings
	if v, ok := s.memo["ebd/"+s.account+"/"+s.region].(bool); ok {
		c.EBD = &v
	}
	if v, ok := s.memo["defaultkey/"+s.account+"/"+s.region].(string); ok {
		c.DEF = v
	}
	if s.carried != nil {
		if c.EBD == nil {
			c.EBD = s.carried.EBD
		}
		if c.DEF == "" {
			c.DEF = s.carried.DEF
		}
	}
	if o, ok := s.memo[origMemoKey].(rules.State); ok {
		c.OrigEncrypted, c.OrigKeyARN = &o.Encrypted, o.KMSKeyARN
	} else if s.carried != nil {
		c.OrigEncrypted, c.OrigKeyARN = s.carried.OrigEncrypted, s.carried.OrigKeyARN
	}
	if c.EBD == nil && c.DEF == "" && c.OrigEncrypted == nil {
		return nil
	}
	return &c
}

// widen applies the unknown settings of the record's time to a prediction
// (spec/rules.md, "Settings as they were at the event"): with EBD unknown the
// rows for EBD on and off are both accepted; with DEF unknown a row that
// predicts DEF accepts any key, and expected names no key where it would be
// DEF. It returns the widened prediction, whether any setting was unknown,
// and whether the rule of either EBD value predicts DEF.
func (s *session) widen(t target, p rules.Prediction, ks keySet, res *Resource) (rules.Prediction, bool, bool) {
	ebdUnknown, defUnknown := s.isUnknown(t.region, "ebd"), s.isUnknown(t.region, "def")
	if !ebdUnknown && !defUnknown {
		return p, false, false
	}
	predictsDEF := p.Outcome == rules.DefaultKey
	encryptedUnknown, matters := false, false
	if ebdUnknown {
		other := t.in
		other.EBD = !other.EBD
		if q, err := rules.Predict(other, ks.Keys); err == nil {
			matters = q.RuleID != p.RuleID // EBD decides this row
			predictsDEF = predictsDEF || q.Outcome == rules.DefaultKey
			encryptedUnknown = q.Expected.Encrypted != p.Expected.Encrypted
			for _, st := range append([]rules.State{q.Expected}, q.Alternatives...) {
				if st != p.Expected && !slices.Contains(p.Alternatives, st) && (st.KMSKeyARN != "" || !st.Encrypted) {
					p.Alternatives = append(p.Alternatives, st)
				}
			}
		}
	}
	// The note, only where the unknown value bears on the judgement: EBD
	// decides the row, or DEF is predicted or a fall-back onto it is judged.
	if matters || defUnknown && (predictsDEF || p.IntendedKeyARN != "" || p.IntendedUnknown) {
		res.Note = addNote(res.Note, NoteSettingsUnknown)
	}
	expected := &Expected{Encrypted: p.Expected.Encrypted, KMSKeyARN: p.Expected.KMSKeyARN, Alternatives: p.Alternatives, EncryptedUnknown: encryptedUnknown}
	if defUnknown && predictsDEF {
		// DEF of the time is not today's: expected names no key, and
		// today's DEF is no alternative of its own.
		if p.Outcome == rules.DefaultKey {
			expected.KMSKeyARN = ""
		}
		cur := rules.EncryptedWith(ks.Default)
		expected.Alternatives = slices.DeleteFunc(slices.Clone(expected.Alternatives), func(st rules.State) bool {
			return st == cur && ks.Default != ks.AWSManaged
		})
		if len(expected.Alternatives) == 0 {
			expected.Alternatives = nil
		}
	}
	res.Expected = expected
	return p, true, defUnknown && predictsDEF
}

// rejudge corrects the findings of a widened prediction: no KEY_MISMATCH from
// an unknown DEF alone (any encrypted state is accepted where DEF is
// predicted), and DEFAULT_KEY_FALLBACK against every default key known for the
// account and Region (aws/ebs, each DEF the changes set, today's).
func (s *session) rejudge(t target, p rules.Prediction, anyKey bool, actual rules.State, ks keySet, in []rules.Finding) []rules.Finding {
	out := in
	if p.PolicyOnly {
		return out // a hidden key: the policy's findings only
	}
	if anyKey && actual.Encrypted {
		out = slices.DeleteFunc(slices.Clone(out), func(f rules.Finding) bool { return f.Code == rules.KeyMismatch })
	}
	if !s.isUnknown(t.region, "def") || !actual.Encrypted || slices.ContainsFunc(out, func(f rules.Finding) bool { return f.Code == rules.DefaultKeyFallback }) {
		return out
	}
	intendedOther := (p.IntendedKeyARN != "" && p.IntendedKeyARN != actual.KMSKeyARN) || p.IntendedUnknown
	if !intendedOther {
		return out
	}
	for _, ref := range s.history.DEFRefs(s.account, t.region) {
		arn, err := s.mustResolve(t.region, ref)
		if err != nil || arn != actual.KMSKeyARN {
			continue
		}
		f := rules.Finding{Code: rules.DefaultKeyFallback, Severity: rules.Medium}
		// Findings keep the spec's order: after KEY_MISMATCH, before the rest.
		i := 0
		if len(out) > 0 && out[0].Code == rules.KeyMismatch {
			i = 1
		}
		return slices.Insert(slices.Clone(out), i, f)
	}
	return out
}

// addNote adds a note to a resource's (a hidden key and unknown settings may
// both bear on one judgement).
func addNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}

// MarshalJSON writes `encrypted` as null when the rows accepted for an
// unknown EBD disagree on it (formats.md §4).
func (e Expected) MarshalJSON() ([]byte, error) {
	type plain Expected
	if !e.EncryptedUnknown {
		return json.Marshal(plain(e))
	}
	return json.Marshal(struct {
		Encrypted    *bool         `json:"encrypted"`
		KMSKeyARN    string        `json:"kmsKeyArn"`
		Alternatives []rules.State `json:"alternatives,omitempty"`
	}{nil, e.KMSKeyARN, e.Alternatives})
}
