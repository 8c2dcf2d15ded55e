package cloudtrail

import (
	"encoding/json"
	"strings"
	"testing"
)

// skipWhole reports whether the skipper finds b to be exactly one value, with
// only space after it, b being the whole input.
func skipWhole(b []byte) bool {
	s := skipper{eof: true}
	i := skipSpace(b, 0)
	end, st, _ := s.skip(b, i)
	return st == scanOK && skipSpace(b, end) == len(b)
}

var syntaxCases = []struct {
	name, in string
	valid    bool
}{
	{"object", `{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, true},
	{"spaces everywhere", " { \"a\" : [ 1 , 2 ] , \"b\" : { } } \n", true},
	{"empty containers", `[{},[],""]`, true},
	{"numbers", `[0,-0,1.5,-2e10,3E+2,4e-1,123456789012345678901234567890]`, true},
	{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, true},
	{"invalid UTF-8 is accepted", "\"\xff\xfe\"", true},
	{"bare scalar", `42`, true},
	{"trailing comma in list", `[1,]`, false},
	{"trailing comma in object", `{"a":1,}`, false},
	{"leading zero", `[01]`, false},
	{"bare minus", `[-]`, false},
	{"dot without digits", `[1.]`, false},
	{"exponent without digits", `[1e]`, false},
	{"plus sign", `[+1]`, false},
	{"control character in string", "\"a\tb\"", false},
	{"newline in string", "\"a\nb\"", false},
	{"bad escape", `"\x"`, false},
	{"short unicode escape", `"\u12"`, false},
	{"bad unicode escape", `"\u12g4"`, false},
	{"single quotes", `{'a':1}`, false},
	{"key not a string", `{a:1}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"missing comma", `[1 2]`, false},
	{"mismatched close", `[1}`, false},
	{"truncated object", `{"a":`, false},
	{"truncated string", `"abc`, false},
	{"truncated literal", `tru`, false},
	{"misspelt literal", `nul1`, false},
	{"two values", `{} {}`, false},
	{"nested deeply but within limit", strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), true},
	{"nested too deeply", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), false},
	{"empty", ``, false},
}

// The skipper accepts exactly what encoding/json accepts.
func TestSkipAgreesWithEncodingJSON(t *testing.T) {
	for _, tt := range syntaxCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := json.Valid([]byte(tt.in)); got != tt.valid {
				t.Fatalf("the case is wrong: json.Valid = %v", got)
			}
			if got := skipWhole([]byte(tt.in)); got != tt.valid {
				t.Errorf("skipper says valid=%v; encoding/json says %v", got, tt.valid)
			}
		})
	}
}

// A well-formed value cut anywhere, with more input to come, asks for more;
// it is never reported as an error.
func TestSkipAsksForMore(t *testing.T) {
	for _, tt := range syntaxCases {
		if !tt.valid || len(tt.in) > 1000 {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			checkCuts(t, []byte(tt.in))
		})
	}
}

func checkCuts(t *testing.T, b []byte) {
	t.Helper()
	i := skipSpace(b, 0)
	var whole skipper
	whole.eof = true
	want, _, _ := whole.skip(b, i)
	for k := i; k < len(b); k++ {
		var s skipper
		end, st, why := s.skip(b[:k], i)
		switch {
		case st == scanBad:
			t.Fatalf("cut at %d of %q: error %q at %d", k, b, why, end)
		case st == scanOK && end != want:
			t.Fatalf("cut at %d of %q: a value ending at %d; the whole value ends at %d", k, b, end, want)
		}
	}
}

// FuzzSkip holds the skipper to encoding/json on arbitrary bytes.
func FuzzSkip(f *testing.F) {
	for _, tt := range syntaxCases {
		if len(tt.in) < 1000 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := skipWhole(b), json.Valid(b); got != want {
			t.Fatalf("skipper says valid=%v for %q; encoding/json says %v", got, b, want)
		}
		if json.Valid(b) {
			checkCuts(t, b)
		}
	})
}
