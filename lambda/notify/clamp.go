package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// clampStrings returns the verdict with every string longer than n bytes
// cut (whole characters, marked with "…"), and at most 5 warnings: the last
// step of Fit, for a verdict whose own fields (a principal, an event ID, a
// message, each escaped up to 6 times over in the structured message) are
// too large once its resources are cut. A record from CloudTrail never
// needs it; one crafted for `ebsguard replay`, or a re-check message's, may.
func clampStrings(v verify.Verdict, n int) (verify.Verdict, error) {
	if len(v.Warnings) > 5 {
		v.Warnings = append(v.Warnings[:4:4], fmt.Sprintf("%d more warnings in the function's log", len(v.Warnings)-4))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return v, err
	}
	tree = clampTree(tree, n)
	if b, err = json.Marshal(tree); err != nil {
		return v, err
	}
	var out verify.Verdict
	if err := json.Unmarshal(b, &out); err != nil {
		return v, err
	}
	return out, nil
}

func clampTree(x any, n int) any {
	switch t := x.(type) {
	case string:
		if len(t) > n {
			return strings.ToValidUTF8(cut(t, n), "") + "…"
		}
	case []any:
		for i := range t {
			t[i] = clampTree(t[i], n)
		}
	case map[string]any:
		for k := range t {
			t[k] = clampTree(t[k], n)
		}
	}
	return x
}
