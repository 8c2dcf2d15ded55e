package notify

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// encodeMessage is the structured message of a verdict (protocols): the
// verdict JSON carries one dedupeKey per finding, in the findings' order,
// appended.
func encodeMessage(v verify.Verdict) ([]byte, error) {
	body, err := v.JSON()
	if err != nil {
		return nil, err
	}
	if len(v.Findings) > 0 && bytes.HasSuffix(body, []byte("}")) {
		keys := make([]string, len(v.Findings))
		for i, f := range v.Findings {
			keys[i] = findingKey(v.EventID, f.Resource, f.Code)
		}
		kb, err := json.Marshal(keys)
		if err != nil {
			return nil, err
		}
		body = append(append(append(body[:len(body)-1:len(body)-1], `,"dedupeKeys":`...), kb...), '}')
	}
	return json.Marshal(protocols(v, string(body)))
}

// Parts splits a violation into verdicts whose messages each fit in SNS, so
// that every finding is published (a cut would lose some): the first part is
// the whole verdict when it fits; otherwise each part holds some resources
// with findings and their findings, and its reason says which part it is.
// A part that holds a single resource and still does not fit is cut by
// Message like any other verdict.
func Parts(v verify.Verdict) []verify.Verdict {
	if b, err := encodeMessage(v); err != nil || len(b) <= maxMessage || len(v.Findings) == 0 {
		return []verify.Verdict{v}
	}
	var flagged []verify.Resource
	for _, r := range v.Resources {
		if len(r.Findings) > 0 {
			flagged = append(flagged, r)
		}
	}
	var groups [][]verify.Resource
	var split func(rs []verify.Resource)
	split = func(rs []verify.Resource) {
		if len(rs) == 0 {
			return
		}
		b, err := encodeMessage(partOf(v, rs))
		if len(rs) == 1 || (err == nil && len(b) <= maxMessage) {
			groups = append(groups, rs)
			return
		}
		split(rs[:len(rs)/2])
		split(rs[len(rs)/2:])
	}
	split(flagged)
	out := make([]verify.Verdict, len(groups))
	for i, g := range groups {
		out[i] = partOf(v, g)
		out[i].Reason = fmt.Sprintf("part %d of %d of the findings (too many for one message); the function's log has the whole verdict", i+1, len(groups))
	}
	return out
}

// partOf is the verdict cut to some of its resources and their findings.
func partOf(v verify.Verdict, rs []verify.Resource) verify.Verdict {
	keep := make(map[string]bool, len(rs))
	for _, r := range rs {
		keep[r.Resource] = true
	}
	p := v
	p.Resources = rs
	p.Findings = nil
	for _, f := range v.Findings {
		if keep[f.Resource] {
			p.Findings = append(p.Findings, f)
		}
	}
	return p
}
