package capture

import (
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
func TestKeptIsWhatTheEngineReads(t *testing.T) {
	r := engineReads(t)
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
