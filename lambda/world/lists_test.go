package world

import (
	"flag"
	"fmt"
	"os"
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

var updateDocs = flag.Bool("update", false, "rewrite docs/world-file.md's table of the lists from their declarations")

const (
	listsBegin = "<!-- lists:begin: generated from the lists' declarations (lambda/world/lists.go) by `go test ./lambda/world -run TestWorldFileListsTable -update`; do not edit -->"
	listsEnd   = "<!-- lists:end -->"
	listsDoc   = "../../docs/world-file.md"
)

// listsTable renders the declared lists: one row each, in the file's name.
func listsTable() string {
	rows := []string{"| field | one object is a | as this API lists them | may change (`later`) | looked up by |", "|---|---|---|---|---|"}
	for _, l := range slices.SortedFunc(slices.Values(lists), func(a, b list) int { return strings.Compare(a.name(), b.name()) }) {
		a := l.about()
		later, by := "", "ID"
		if a.later {
			later = "yes"
		}
		if len(a.by) > 0 {
			by = "ID, `" + strings.Join(a.by, "`, `") + "`"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | `%s` | %s | %s |", a.name, a.noun, a.operation, later, by))
	}
	return strings.Join(rows, "\n")
}

// docs/world-file.md's table of a Region's lists is the declarations':
// -update writes it.
func TestWorldFileListsTable(t *testing.T) {
	b, err := os.ReadFile(listsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, listsBegin), strings.Index(doc, listsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated table between %q and %q", listsDoc, listsBegin, listsEnd)
	}
	if *updateDocs {
		doc = doc[:i+len(listsBegin)] + "\n" + listsTable() + "\n" + doc[j:]
		if err := os.WriteFile(listsDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := strings.TrimSpace(doc[i+len(listsBegin) : j]); got != listsTable() {
		t.Errorf("%s's table of the lists is not the declarations': run go test ./lambda/world -run TestWorldFileListsTable -update", listsDoc)
	}
}
