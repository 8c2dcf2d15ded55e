// Package printable makes text that came from a CloudTrail record safe to
// print where a person reads it: an e-mail, a terminal table. A caller's
// principal, an event ID or a device name may carry line breaks, terminal
// escapes or Unicode bidirectional controls that would forge lines (a fake
// "Account:" line) or reorder what the reader sees.
package printable

import (
	"fmt"
	"strings"
	"unicode"
)

// String returns s with every control character, line or paragraph
// separator, bidirectional control and other invisible format character
// written as a Go escape (\n, \x1b, \u202e). Printable text, spaces included,
// is kept as it is.
func String(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafe(r) {
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case unicode.ReplacementChar:
			b.WriteString(`\ufffd`)
		default:
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	return b.String()
}

func needsEscape(s string) bool {
	for _, r := range s {
		if unsafe(r) {
			return true
		}
	}
	return false
}

// unsafe reports whether a rune must not reach a reader as it is: control
// characters (C0, DEL, C1), line and paragraph separators, format characters
// (the bidirectional embeddings, overrides and isolates, zero-width joiners
// and marks) and invalid UTF-8.
func unsafe(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) ||
		unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar
}
