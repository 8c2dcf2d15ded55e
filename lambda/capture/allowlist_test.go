package capture

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/reads"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// engineReads type-checks the engine and the world's answers (what replay
// runs) and returns what they read.
func engineReads(t *testing.T) *reads.Result {
	t.Helper()
	r, err := reads.Packages("../..", "./lambda/verify", "./lambda/world", "./lambda/cloudtrail")
	if err != nil {
		t.Fatalf("type-check the engine: %v", err)
	}
	return r
}

// reachable returns every SDK struct type a world's SDK objects can hold.
func reachable() map[reflect.Type]bool {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		if t.PkgPath() == reflect.TypeFor[world.Region]().PkgPath() { // world.Key: its members
			seen[t] = true
			for f := range t.Fields() {
				walk(f.Type)
			}
			return
		}
		if !strings.HasPrefix(t.PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") {
			return
		}
		seen[t] = true
		for f := range t.Fields() {
			walk(f.Type)
		}
	}
	// Every SDK struct a Region's members hold, found by reflection: a list
	// added to Region is checked with no further line.
	walk(reflect.TypeFor[world.Region]())
	for t := range seen {
		if !strings.HasPrefix(t.PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") {
			delete(seen, t)
		}
	}
	return seen
}

// world.Kept is exactly what the engine and the world's answers read of the
// SDK objects a world holds: a field they read that Kept lacks fails here
// (capture would leave it out, and replay would differ from live), and so
// does a field Kept lists that nothing reads (capture would keep it for
// nothing).
var update = flag.Bool("update", false, "rewrite lambda/world/kept_gen.go (world.Kept) from what the engine reads")

func TestKeptIsWhatTheEngineReads(t *testing.T) {
	r := engineReads(t)
	if *update {
		writeKept(t, r) // checked on the next run, which compiles it
		return
	}
	checkKeptTable(t)
	types := reachable()
	byName := map[string]reflect.Type{}
	for t := range types {
		byName[t.PkgPath()+"."+t.Name()] = t
	}
	read := map[reflect.Type][]string{}
	for f, where := range r.Fields {
		typ, ok := byName[f.Package+"."+f.Type]
		if !ok {
			continue
		}
		if !slices.Contains(world.Kept[typ], f.Name) {
			t.Errorf("the engine reads %s.%s (%s) but world.Kept lacks it", typ.Name(), f.Name, where[0])
		}
		read[typ] = append(read[typ], f.Name)
	}
	for typ, names := range world.Kept {
		if !types[typ] {
			t.Errorf("world.Kept lists %s, which no world object holds", typ)
		}
		for _, n := range names {
			if _, ok := typ.FieldByName(n); !ok {
				t.Errorf("world.Kept: %s has no field %s", typ.Name(), n)
			}
			if !slices.Contains(read[typ], n) {
				t.Errorf("world.Kept lists %s.%s, which nothing reads", typ.Name(), n)
			}
		}
	}
}

// Every type a kind decodes a record's request or response into is one of
// verify's record shapes, which capture prunes records to; and nothing reads
// the errorMessage capture drops.
func TestRecordShapesAreWhatTheKindsDecode(t *testing.T) {
	r := engineReads(t)
	var shapes []string
	for _, typ := range verify.RecordShapeTypes() {
		shapes = append(shapes, typ.PkgPath()+"."+typ.Name())
	}
	sort.Strings(shapes)
	decoded := 0
	for _, c := range r.Calls {
		if c.Method != "github.com/ebsguard/ebsguard/lambda/cloudtrail.Record.Request" && c.Method != "github.com/ebsguard/ebsguard/lambda/cloudtrail.Record.Response" {
			continue
		}
		decoded++
		arg := strings.TrimPrefix(c.Args[0].String(), "*")
		if !slices.Contains(shapes, arg) {
			t.Errorf("a kind decodes a record into %s, which verify's recordShapes lacks (%v)", arg, shapes)
		}
	}
	if decoded < len(shapes) {
		t.Errorf("found %d decodings of records for %d shapes", decoded, len(shapes))
	}
	for f, where := range r.Fields {
		if f.Package == "github.com/ebsguard/ebsguard/lambda/cloudtrail" && f.Type == "Record" && f.Name == "ErrorMessage" {
			t.Errorf("%s reads a record's errorMessage, which capture drops", where[0])
		}
	}
}

// writeKept writes world.Kept: every field the engine reads of the SDK
// structs a world holds, by type.
func writeKept(t *testing.T, r *reads.Result) {
	types := reachable()
	byName := map[string]reflect.Type{}
	for typ := range types {
		byName[typ.PkgPath()+"."+typ.Name()] = typ
	}
	read := map[reflect.Type][]string{}
	for f := range r.Fields {
		if typ, ok := byName[f.Package+"."+f.Type]; ok && !slices.Contains(read[typ], f.Name) {
			read[typ] = append(read[typ], f.Name)
		}
	}
	alias := func(typ reflect.Type) string {
		return typ.PkgPath()[strings.LastIndex(typ.PkgPath()[:strings.LastIndex(typ.PkgPath(), "/")], "/")+1:strings.LastIndex(typ.PkgPath(), "/")] + "types"
	}
	keys := slices.SortedFunc(func(yield func(reflect.Type) bool) {
		for typ := range read {
			if !yield(typ) {
				return
			}
		}
	}, func(a, b reflect.Type) int {
		return cmp.Or(cmp.Compare(alias(a), alias(b)), cmp.Compare(a.Name(), b.Name()))
	})
	var b bytes.Buffer
	b.WriteString("// Code generated by go test ./lambda/capture -run TestKeptIsWhatTheEngineReads -update; DO NOT EDIT.\n\n")
	b.WriteString("package world\n\nimport (\n\t\"reflect\"\n\n")
	pkgs := map[string]string{}
	for _, typ := range keys {
		pkgs[alias(typ)] = typ.PkgPath()
	}
	for _, a := range slices.Sorted(func(yield func(string) bool) {
		for a := range pkgs {
			if !yield(a) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "\t%s %q\n", a, pkgs[a])
	}
	b.WriteString(")\n\n// kept is world.Kept (keep.go): what the engine reads, by SDK type.\nvar kept = map[reflect.Type][]string{\n")
	for _, typ := range keys {
		var names []string
		for _, n := range slices.Sorted(slices.Values(read[typ])) {
			names = append(names, fmt.Sprintf("%q", n))
		}
		fmt.Fprintf(&b, "\treflect.TypeFor[%s.%s](): {%s},\n", alias(typ), typ.Name(), strings.Join(names, ", "))
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("format kept_gen.go: %v\n%s", err, b.Bytes())
	}
	if err := os.WriteFile("../world/kept_gen.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	writeKeptTable(t, read) // from what was read, as kept_gen.go: one run writes both
	t.Log("wrote lambda/world/kept_gen.go and docs/capture.md's table")
}

const (
	keptBegin = "<!-- kept:begin: generated from world.Kept by `go test ./lambda/capture -run TestKeptIsWhatTheEngineReads -update`; do not edit -->"
	keptEnd   = "<!-- kept:end -->"
	keptDoc   = "../../docs/capture.md"
)

// keptTable renders a Kept list as docs/capture.md's table: one row per SDK
// type, its fields in order.
func keptTable(kept map[reflect.Type][]string) string {
	var rows []string
	for typ, names := range kept {
		name := "`" + typ.Name() + "`"
		if !strings.Contains(typ.PkgPath(), "/ec2/") {
			name = strings.ToUpper(typ.PkgPath()[strings.LastIndex(typ.PkgPath()[:strings.LastIndex(typ.PkgPath(), "/")], "/")+1:strings.LastIndex(typ.PkgPath(), "/")]) + " " + name
		}
		fields := slices.Sorted(slices.Values(names))
		rows = append(rows, fmt.Sprintf("| %s | `%s` |", name, strings.Join(fields, "`, `")))
	}
	slices.Sort(rows)
	return "| Type | Fields kept |\n|---|---|\n" + strings.Join(rows, "\n")
}

// checkKeptTable holds docs/capture.md's table to world.Kept; -update
// writes it.
func checkKeptTable(t *testing.T) {
	doc, i, j := readKeptDoc(t)
	if got := strings.TrimSpace(doc[i+len(keptBegin) : j]); got != keptTable(world.Kept) {
		t.Errorf("%s's table of the fields kept is not world.Kept's: run go test ./lambda/capture -run TestKeptIsWhatTheEngineReads -update", keptDoc)
	}
}

// readKeptDoc reads docs/capture.md and finds its generated table's markers.
func readKeptDoc(t *testing.T) (doc string, begin, end int) {
	b, err := os.ReadFile(keptDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc = string(b)
	begin, end = strings.Index(doc, keptBegin), strings.Index(doc, keptEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s: no generated table between %q and %q", keptDoc, keptBegin, keptEnd)
	}
	return doc, begin, end
}

// writeKeptTable writes the table of a Kept list into docs/capture.md.
func writeKeptTable(t *testing.T, kept map[reflect.Type][]string) {
	doc, i, j := readKeptDoc(t)
	doc = doc[:i+len(keptBegin)] + "\n" + keptTable(kept) + "\n" + doc[j:]
	if err := os.WriteFile(keptDoc, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}
