package notify

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// p makes a record field safe to show: a principal or a device name may
// carry line breaks or bidi controls that would forge or reorder lines.
var p = printable.String

// Subject is one short line: for a violation the worst finding, for a notice
// what went wrong; then where.
func Subject(v verify.Verdict) string {
	var s string
	if v.Status == verify.StatusError {
		s = fmt.Sprintf("ebsguard ERROR: %s in %s %s", classify(v).short, p(v.Account), p(v.Region))
	} else {
		what := v.Status
		if f, ok := worst(v); ok {
			what = f.Code
			if n := len(v.Findings); n > 1 {
				what = fmt.Sprintf("%s +%d", what, n-1)
			}
		}
		s = fmt.Sprintf("ebsguard %s: %s in %s %s", strings.ToUpper(v.Severity()), p(what), p(v.Account), p(v.Region))
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject])
	}
	return s
}

// worst returns the first finding of the highest severity.
func worst(v verify.Verdict) (verify.Finding, bool) {
	sev := v.Severity()
	for _, f := range v.Findings {
		if f.Severity == sev {
			return f, true
		}
	}
	return verify.Finding{}, false
}

// Text is the e-mail body: for a violation each resource with its findings
// and fixes; for an operational notice what could not be checked, why, and
// what to do.
func Text(v verify.Verdict) string {
	if v.Status == verify.StatusError {
		return noticeText(v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ebsguard found %s with the EBS encryption of a %s call.\n\n", plural(len(v.Findings), "problem"), p(v.EventName))
	header(&b, v)
	if v.Reason != "" {
		fmt.Fprintf(&b, "Note:      %s\n", p(v.Reason))
	}

	n := 0
	shown := map[int]bool{}
	for _, r := range v.Resources {
		var fs []int
		for i, f := range v.Findings {
			if f.Resource == r.Resource && r.Resource != "" {
				fs = append(fs, i)
			}
		}
		if len(fs) == 0 {
			continue
		}
		n++
		fmt.Fprintf(&b, "\n%d. %s\n", n, describeResource(v.EventName, r))
		fmt.Fprintf(&b, "   rule:     %s\n", p(r.Rule))
		if r.Source != "" {
			fmt.Fprintf(&b, "   source:   %s\n", p(r.Source))
		}
		if line, ok := SettingsLine(v, r); ok { // settings.go
			fmt.Fprintf(&b, "   now:      %s\n", line)
		} else {
			fmt.Fprintf(&b, "   intended: %s\n", intended(r, v.Findings, fs))
			fmt.Fprintf(&b, "   actual:   %s\n", actual(r.Actual))
		}
		// The fix is the same for most findings of one resource: said once.
		fixes := map[string]bool{}
		for _, i := range fs {
			fixes[v.Findings[i].Fix] = true
		}
		once := len(fixes) == 1 && len(fs) > 1
		for _, i := range fs {
			f := v.Findings[i]
			msg := f.Text()
			if once {
				msg = f.Message
			}
			fmt.Fprintf(&b, "   - %s (%s): %s\n", p(f.Code), p(f.Severity), p(msg))
			shown[i] = true
		}
		if fix := v.Findings[fs[0]].Fix; once && fix != "" {
			fmt.Fprintf(&b, "   fix:      %s\n", p(fix))
		}
	}
	// A finding whose resource is not among the resources (a cut verdict
	// keeps both consistent, but the text must not hide a finding).
	for i, f := range v.Findings {
		if shown[i] {
			continue
		}
		n++
		fmt.Fprintf(&b, "\n%d. %s\n   - %s (%s): %s\n", n, p(f.Resource), p(f.Code), p(f.Severity), p(f.Text()))
	}

	var open []string
	for _, r := range v.Resources {
		switch {
		case r.Error != "":
			open = append(open, fmt.Sprintf("%s: could not be checked: %s", describeResource(v.EventName, r), p(r.Error)))
		case r.Actual == nil:
			open = append(open, fmt.Sprintf("%s: not visible yet", describeResource(v.EventName, r)))
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, "\nNot checked (%s):\n", plural(len(open), "resource"))
		for _, s := range open {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	warnings(&b, v)
	return b.String()
}

// noticeText is the e-mail of an operational notice.
func noticeText(v verify.Verdict) string {
	pr := classify(v)
	var b strings.Builder
	what := "a CloudTrail record"
	if v.EventName != "" {
		what = "a " + p(v.EventName) + " call"
	}
	fmt.Fprintf(&b, "ebsguard could not check %s: %s.\n\n", what, pr.short)
	header(&b, v)
	kind := "volumes or snapshots"
	if k, ok := rules.KindByEvent(v.EventName); ok {
		kind = k.Creates + "s"
	}
	fmt.Fprintf(&b, "\nNot checked: whether the %s this call created got the KMS key the caller intended.\n", kind)
	fmt.Fprintf(&b, "Why:         %s\n", p(v.Reason))
	fmt.Fprintf(&b, "What to do:  %s\n", pr.todo)
	for _, r := range v.Resources {
		if r.Error != "" {
			fmt.Fprintf(&b, "- %s: %s\n", describeResource(v.EventName, r), p(r.Error))
		}
	}
	warnings(&b, v)
	return b.String()
}

func header(b *strings.Builder, v verify.Verdict) {
	fmt.Fprintf(b, "Account:   %s\nRegion:    %s\nPrincipal: %s\nTime:      %s\nEvent ID:  %s\n",
		p(v.Account), p(v.Region), p(v.Principal), p(v.EventTime), p(v.EventID))
}

func warnings(b *strings.Builder, v verify.Verdict) {
	if len(v.Warnings) == 0 {
		return
	}
	fmt.Fprintf(b, "\nWarnings:\n")
	for _, w := range v.Warnings {
		fmt.Fprintf(b, "- %s\n", p(w))
	}
}

// describeResource names a resulting volume or snapshot and where it
// belongs: "snapshot snap-1 (/dev/xvda of AMI ami-1)".
func describeResource(eventName string, r verify.Resource) string {
	kind := "resource"
	if k, ok := rules.KindByEvent(eventName); ok {
		kind = k.Creates
	}
	s := kind
	if r.Resource != "" {
		s += " " + p(r.Resource)
	}
	var where []string
	if r.Device != "" {
		where = append(where, p(r.Device))
	}
	if r.Parent != "" && r.Parent != r.Resource {
		parent := p(r.Parent)
		if k, ok := rules.KindByEvent(eventName); ok && k.Parent != "" {
			parent = k.Parent + " " + parent
		}
		where = append(where, parent)
	}
	if len(where) > 0 {
		s += " (" + strings.Join(where, " of ") + ")"
	}
	return s
}

// intended says which key the caller intended. An empty intendedKeyArn on a
// row whose source is encrypted (as the rules' table says of the row), or on
// a DEFAULT_KEY_FALLBACK (which needs an intended key), means the intended
// key is the source snapshot's and this account cannot see it.
func intended(r verify.Resource, findings []verify.Finding, of []int) string {
	codes := make([]string, len(of))
	for i, f := range of {
		codes[i] = findings[f].Code
	}
	return IntendedKey(r, codes...)
}

// IntendedKey says, for a person, which key the caller intended for a
// resource with these finding codes.
func IntendedKey(r verify.Resource, codes ...string) string {
	if r.IntendedKeyARN != "" {
		return p(r.IntendedKeyARN)
	}
	rule, _ := rules.RuleByID(r.Rule)
	srcKey := rule.EncryptedSource || slices.Contains(codes, rules.DefaultKeyFallback)
	if srcKey {
		return "the source snapshot's key (not visible to this account)"
	}
	return "no particular key"
}

func actual(s *rules.State) string {
	switch {
	case s == nil:
		return "not visible yet"
	case !s.Encrypted:
		return "unencrypted"
	case s.KMSKeyARN == "":
		return "encrypted with an unknown key"
	default:
		return p(s.KMSKeyARN)
	}
}

// plural writes a count with its noun: "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
