package verify

import "github.com/ebsguard/ebsguard/lambda/rules"

// NoteOrigUnknown is the note of a root replacement whose original root was
// never seen: no row's prediction can be made.
const NoteOrigUnknown = "original root unknown"

// judgePolicyOnly judges a result no row predicts against the policy only
// (UNENCRYPTED, DISALLOWED_KEY), under t.rule: a root replacement that
// succeeded before the first look, its original root unknown (expected
// null). A hidden request key is not judged here: it keeps its row and
// predicts an unknown key (hidden.go).
func (e *Engine) judgePolicyOnly(s *session, t target, res Resource) (Resource, []Finding, error) {
	res.Rule = t.rule
	if t.actual == nil {
		return res, nil, nil
	}
	pol, err := s.policy(e.policy, t.region, *t.actual)
	if err != nil {
		return res, nil, err
	}
	p := rules.Prediction{RuleID: t.rule, PolicyOnly: true}
	var out []Finding
	for _, f := range rules.Judge(p, *t.actual, rules.Keys{}, pol) {
		res.Findings = append(res.Findings, f.Code)
		msg, fix := message(f.Code, t, res, rules.Keys{}, pol, s.account)
		out = append(out, Finding{Code: f.Code, Severity: f.Severity, Resource: t.resource, Message: msg, Fix: fix})
	}
	return res, out, nil
}
