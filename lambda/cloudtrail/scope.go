package cloudtrail

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// The fast path: whether a record is out of scope, found by scanning its
// top-level members without decoding it. It must never be wrong in the
// direction that loses input: it answers "out of scope" only when decoding
// the record would give a well-formed record of another event. Anything it
// is not sure of (escaped keys, a field of the wrong type, a duplicate
// eventName, deep nesting) is left to the full decoder, which then decides.

// fieldKind is how a field of Record decodes, as far as the scan needs it.
type fieldKind uint8

const (
	kindRaw     fieldKind = iota + 1 // json.RawMessage: any value
	kindLenient                      // String: a string, number, boolean or null
	kindString                       // string: a string or null
	kindFlag                         // Flag or bool: a boolean or null
	kindStruct                       // a struct: an object (whose fields are checked) or null
)

// field is one JSON member of a struct the record decodes into.
type field struct {
	name   string // the JSON name, matched as encoding/json does: case-insensitively
	kind   fieldKind
	fields []field // kindStruct
}

// recordFields is the scan's view of Record, derived from its declaration so
// that a field added to Record is checked too (and a field of a type the
// scan does not know makes schemaOf fail, in the tests, rather than make the
// scan wrong).
var recordFields, recordFieldsErr = schemaOf(reflect.TypeFor[Record]())

// eventNameField is the JSON name of Record.EventName.
const eventNameField = "eventName"

func schemaOf(t reflect.Type) ([]field, error) {
	var out []field
	for f := range t.Fields() {
		if !f.IsExported() || f.Anonymous {
			if f.Anonymous {
				return nil, fmt.Errorf("%s.%s: embedded fields are not supported by the scan", t.Name(), f.Name)
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		k, sub, err := kindOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		out = append(out, field{name: name, kind: k, fields: sub})
	}
	return out, nil
}

func kindOf(t reflect.Type) (fieldKind, []field, error) {
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		return kindRaw, nil, nil
	case t == reflect.TypeFor[String]():
		return kindLenient, nil, nil
	case t == reflect.TypeFor[Flag]() || t.Kind() == reflect.Bool:
		return kindFlag, nil, nil
	case t.Kind() == reflect.String && !reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()):
		return kindString, nil, nil
	case t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()):
		sub, err := schemaOf(t)
		return kindStruct, sub, err
	}
	return 0, nil, fmt.Errorf("type %s is not supported by the scan", t)
}

// lookup finds the field a key decodes into: encoding/json matches a key to
// a field name ignoring ASCII case (the keys that could fold to a name
// through non-ASCII letters are never passed here).
func lookup(fields []field, key []byte) *field {
	for i := range fields {
		if equalFoldASCII(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}

func equalFoldASCII(name string, key []byte) bool {
	if len(name) != len(key) {
		return false
	}
	for i := 0; i < len(key); i++ {
		a, b := name[i], key[i]
		if a == b {
			continue
		}
		if la := a | 0x20; la != b|0x20 || la < 'a' || la > 'z' {
			return false
		}
	}
	return true
}

// topKeys are the keys that decide what a top-level object is (classify):
// found while the object is scanned, exactly as written.
type topKeys struct {
	escaped                        bool // a key holds an escape: it may spell any of these
	records, detailType, eventName bool
	detail                         [2]int // the last "detail" value's bounds; detail[1] == 0 when absent
	detailTypeValue                [2]int
}

// recordScan is what scanning one object found.
type recordScan struct {
	end int // just after the object, when the status is scanOK
	// name is the eventName as written, valid only when sure.
	name []byte
	// sure is set when decoding the object as a record gives a well-formed
	// record named name: no malformed field, no escape or non-ASCII byte in a
	// key, exactly one eventName, a plain non-empty string.
	sure bool
	top  topKeys
}

// scanObject scans the object at b[i] (no leading space), checking its
// members against Record's fields. A status other than scanOK means the
// caller must let the skipper find the end (or the error) itself.
func (s *skipper) scanObject(b []byte, i int) (recordScan, scanStatus) {
	var r recordScan
	if i >= len(b) {
		return r, scanMore
	}
	if b[i] != '{' {
		return r, scanBad
	}
	sure := true
	names := 0
	i = skipSpace(b, i+1)
	if i >= len(b) {
		return r, scanMore
	}
	if b[i] == '}' {
		r.end = i + 1
		return r, scanOK
	}
	for {
		// Key.
		if i >= len(b) {
			return r, scanMore
		}
		if b[i] != '"' {
			return r, scanBad
		}
		kend, escaped, st := skipString(b, i)
		if st != scanOK {
			return r, st
		}
		key := b[i+1 : kend-1]
		plain := !escaped && ascii(key)
		sure = sure && plain
		r.top.escaped = r.top.escaped || escaped
		i = skipSpace(b, kend)
		if i >= len(b) {
			return r, scanMore
		}
		if b[i] != ':' {
			return r, scanBad
		}
		i = skipSpace(b, i+1)
		// Value.
		vstart := i
		end, st, _ := s.skip(b, i)
		if st != scanOK {
			return r, st
		}
		if s.deepest >= maxDepth {
			// Too deep as a member of this object: the skipper, scanning the
			// whole object, reports it.
			return r, scanBad
		}
		if s.deepest > 512 { // leave depth limits to encoding/json
			sure = false
		}
		value := b[vstart:end]
		if plain {
			switch string(key) { // exact keys, as classify reads them
			case "Records":
				r.top.records = true
			case "detail":
				r.top.detail = [2]int{vstart, end}
			case "detail-type":
				r.top.detailType = true
				r.top.detailTypeValue = [2]int{vstart, end}
			case eventNameField:
				r.top.eventName = true
			}
			if f := lookup(recordFields, key); f != nil {
				if f.name == eventNameField {
					names++
					r.name = value
					// encoding/json replaces invalid UTF-8: only a plain
					// ASCII name reads the same undecoded.
					if len(value) < 3 || value[0] != '"' || !plainString(value) || !ascii(value) {
						sure = false
					}
				} else if !s.fits(f, value) {
					sure = false
				}
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return r, scanMore
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
			continue
		case '}':
			r.end = i + 1
			r.sure = sure && names == 1 && recordFieldsErr == nil
			if r.sure {
				r.name = r.name[1 : len(r.name)-1]
			} else {
				r.name = nil
			}
			return r, scanOK
		}
		return r, scanBad
	}
}

// topRecord is the fast path for a whole top-level object: when the scan is
// sure of what classify would make of it (a bare record, or an EventBridge
// event carrying one) and of that record, it returns the record's name.
func (r *recordScan) topRecord(b []byte, sk *skipper) (name []byte, sure bool) {
	t := r.top
	switch {
	case t.escaped || t.records:
		return nil, false
	case t.detail[1] != 0 && t.detailType:
		if string(b[t.detailTypeValue[0]:t.detailTypeValue[1]]) != `"`+cloudTrailDetailType+`"` {
			return nil, false
		}
		dr, st := sk.scanObject(b[:t.detail[1]], t.detail[0])
		if st != scanOK || !dr.sure {
			return nil, false
		}
		return dr.name, true
	case t.eventName && r.sure:
		return r.name, true
	}
	return nil, false
}

// ascii reports whether a key is plain ASCII: only such keys are matched to
// fields here (a non-ASCII key may fold to a field name, through the Kelvin
// sign or the long s).
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// plainString reports whether a well-formed string value holds no escape.
func plainString(v []byte) bool {
	for _, c := range v[1 : len(v)-1] {
		if c == '\\' {
			return false
		}
	}
	return true
}

// fits reports whether a well-formed value surely decodes into the field.
func (s *skipper) fits(f *field, v []byte) bool {
	c := v[0]
	switch f.kind {
	case kindRaw:
		return true
	case kindLenient:
		return c != '{' && c != '[' // String rejects a non-empty object or list
	case kindString:
		return c == '"' || c == 'n'
	case kindFlag:
		return c == 't' || c == 'f' || c == 'n'
	case kindStruct:
		if c == 'n' {
			return true
		}
		return c == '{' && s.fitsObject(f.fields, v)
	}
	return false
}

// fitsObject checks the members of a well-formed object against a struct's
// fields.
func (s *skipper) fitsObject(fields []field, v []byte) bool {
	i := skipSpace(v, 1)
	if v[i] == '}' {
		return true
	}
	for {
		kend, escaped, _ := skipString(v, i)
		key := v[i+1 : kend-1]
		if escaped || !ascii(key) {
			return false
		}
		i = skipSpace(v, kend)
		i = skipSpace(v, i+1) // ':'
		end, _, _ := s.skip(v, i)
		if f := lookup(fields, key); f != nil && !s.fits(f, v[i:end]) {
			return false
		}
		i = skipSpace(v, end)
		if v[i] == '}' {
			return true
		}
		i = skipSpace(v, i+1) // ','
	}
}
