package world

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsonNames are the names the file gives a struct's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Every field of a Region and of a later entry in the file is one Parse
// accepts, and the reverse: a list added to Region without a declaration
// (lists.go) fails here rather than being silently left out of decoding,
// indexing, live views, recording and capture.
func TestEveryFieldIsDeclared(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		want []string
	}{{reflect.TypeFor[Region](), regionFields()}, {reflect.TypeFor[Later](), laterFields()}} {
		want := slices.Sorted(slices.Values(c.want))
		if got := jsonNames(c.typ); !slices.Equal(got, want) {
			t.Errorf("%s: fields in the file %v, accepted by Parse %v", c.typ.Name(), got, want)
		}
	}
}

// Each declaration points at the field of its name, in a Region and in a
// later entry: a copy-paste slip (a declaration naming one list and holding
// another) fails here.
func TestDeclarationsPointAtTheirField(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range lists {
		if seen[l.name()] {
			t.Errorf("list %q declared twice", l.name())
		}
		seen[l.name()] = true
		if l.noun() == "" {
			t.Errorf("list %q has no noun for capture's summary", l.name())
		}
		var r Region
		if got, want := reflect.ValueOf(l.decodeInto(&r)).Pointer(), fieldAddr(t, &r, l.name()); got != want {
			t.Errorf("list %q decodes into another Region field", l.name())
		}
		var e Later
		if p := l.laterInto(&e); p != nil && reflect.ValueOf(p).Pointer() != fieldAddr(t, &e, l.name()) {
			t.Errorf("list %q's later entries go into another field", l.name())
		}
	}
}

func fieldAddr(t *testing.T, ptr any, name string) uintptr {
	v := reflect.ValueOf(ptr).Elem()
	for i := range v.NumField() {
		if n, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i).Addr().Pointer()
		}
	}
	t.Fatalf("%T has no field %q", ptr, name)
	return 0
}
