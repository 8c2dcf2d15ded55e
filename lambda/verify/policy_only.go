package verify

import "github.com/ebsguard/ebsguard/lambda/rules"

// Notes of results judged against the policy only.
const (
	NoteKeyHidden    = "intended key hidden by CloudTrail"
	NoteOrigUnknown  = "original root unknown"
	hiddenExpectsKey = true
)

// judgePolicyOnly judges a result whose prediction cannot be made against the
// policy only (UNENCRYPTED, DISALLOWED_KEY): no KEY_MISMATCH, no
// DEFAULT_KEY_FALLBACK. A hidden key still says the result is encrypted with
// some key (expected names none); an unknown original root predicts nothing
// (expected null).
func (e *Engine) judgePolicyOnly(s *session, t target, res Resource) (Resource, []Finding, error) {
	res.Rule, res.Note = t.rule, t.note
	if t.note == NoteKeyHidden {
		res.Expected = &Expected{Encrypted: hiddenExpectsKey}
	}
	if t.actual == nil {
		return res, nil, nil
	}
	pol, err := s.policy(e.policy, t.region, *t.actual)
	if err != nil {
		return res, nil, err
	}
	p := rules.Prediction{RuleID: t.rule, Expected: *t.actual} // nothing to mismatch
	var out []Finding
	for _, f := range rules.Judge(p, *t.actual, rules.Keys{}, pol) {
		res.Findings = append(res.Findings, f.Code)
		msg, fix := message(f.Code, t, res, rules.Keys{}, pol, s.account)
		out = append(out, Finding{Code: f.Code, Severity: f.Severity, Resource: t.resource, Message: msg, Fix: fix})
	}
	return res, out, nil
}
