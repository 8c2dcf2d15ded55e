package printable_test

import (
	"testing"

	"github.com/ebsguard/ebsguard/lambda/printable"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:sts::222222222222:assumed-role/ci/build", "arn:aws:sts::222222222222:assumed-role/ci/build"},
		{"x\nAccount:   999999999999", `x\nAccount:   999999999999`},
		{"a\r\nb\tc", `a\r\nb\tc`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"\u202egnp.exe", `\u202egnp.exe`},             // right-to-left override
		{"a\u2066b\u2069", `a\u2066b\u2069`},           // isolates
		{"zero\u200bwidth", `zero\u200bwidth`},         // zero-width space
		{"line\u2028sep\u2029", `line\u2028sep\u2029`}, // separators
		{"c1\u0085", `c1\u0085`},
		{"bad\xffutf8", `bad\ufffdutf8`},
		{"déjà vu, 東京", "déjà vu, 東京"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := printable.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
