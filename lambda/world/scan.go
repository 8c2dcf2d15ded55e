package world

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file checks a list element of the world file against its Go type
// without decoding it: one pass over its bytes that validates the JSON
// syntax and, by a schema derived from the type the way encoding/json reads
// it, that each value fits the field it goes to; on the way it decodes the
// few fields the index reads (an element's keys, lazy.go). An element it
// finds wrong, or cannot vouch for (a construct the schema does not model),
// is decoded by encoding/json there and then, whose error names the problem:
// the check only ever spares work, it never decides alone that an element is
// wrong.

// verdict is what checking an element found.
type verdict int

const (
	elementOK     verdict = iota // encoding/json decodes it without error; keys hold its keys
	elementUnsure                // not modelled: encoding/json decides
	elementBad                   // a syntax or type error: encoding/json says which
)

// kind is how a JSON value is checked against a Go type.
type kind int

const (
	kindUnsure      kind = iota // not modelled (a fixed array, []byte, a non-empty interface, a TextUnmarshaler...)
	kindAny                     // interface{}: any value
	kindString                  // a string kind (enums included)
	kindBool                    //
	kindInt                     // signed integer of bits
	kindUint                    // unsigned integer of bits
	kindFloat                   // float of bits
	kindStruct                  // an object: fields by name
	kindSlice                   // an array of elem
	kindMap                     // an object with string keys: values of elem
	kindUnmarshaler             // a json.Unmarshaler (time.Time): its own UnmarshalJSON says
)

// node is the schema of a Go type (pointers followed) as encoding/json reads
// it.
type node struct {
	kind   kind
	bits   int
	typ    reflect.Type     // the type, pointers followed
	fields map[string]*slot // kindStruct: by exact name
	byLen  [][]*slot        // kindStruct: the same, by the name's length (faster to look up)
	folded map[string]*slot // kindStruct: by upper-cased ASCII name (encoding/json's case-insensitive match)
	elem   *node            // kindSlice, kindMap
}

// slot is a struct field of a node, and where in the keys type (lazy.go) it
// is decoded, when it is.
type slot struct {
	name string
	node *node
	key  int // field index in the keys struct; -1: not decoded
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
	schemaMu            sync.Mutex
	schemas             = map[[2]reflect.Type]*node{}
)

// schemaFor returns the schema of t whose fields named like keys's are
// decoded into it (keys nil: none), built once.
func schemaFor(t, keys reflect.Type) *node {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	return buildNode(t, keys)
}

func buildNode(t, keys reflect.Type) *node {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for keys != nil && keys.Kind() == reflect.Pointer {
		keys = keys.Elem()
	}
	if n, ok := schemas[[2]reflect.Type{t, keys}]; ok {
		return n
	}
	n := &node{typ: t}
	schemas[[2]reflect.Type{t, keys}] = n // before the fields: a type may hold itself
	switch {
	case t == numberType:
		n.kind = kindUnsure
	case reflect.PointerTo(t).Implements(unmarshalerType):
		n.kind = kindUnmarshaler
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		n.kind = kindUnsure
	default:
		switch t.Kind() {
		case reflect.String:
			n.kind = kindString
		case reflect.Bool:
			n.kind = kindBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n.kind, n.bits = kindInt, t.Bits()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			n.kind, n.bits = kindUint, t.Bits()
		case reflect.Float32, reflect.Float64:
			n.kind, n.bits = kindFloat, t.Bits()
		case reflect.Interface:
			if t.NumMethod() == 0 {
				n.kind = kindAny
			}
		case reflect.Slice:
			if t.Elem().Kind() != reflect.Uint8 { // []byte is base64
				var ke reflect.Type
				if keys != nil && keys.Kind() == reflect.Slice {
					ke = keys.Elem()
				}
				n.kind, n.elem = kindSlice, buildNode(t.Elem(), ke)
			}
		case reflect.Map:
			if t.Key().Kind() == reflect.String && !reflect.PointerTo(t.Key()).Implements(textUnmarshalerType) {
				n.kind, n.elem = kindMap, buildNode(t.Elem(), nil)
			}
		case reflect.Struct:
			n.kind = kindStruct
			if !structFields(n, t, keys) {
				n.kind, n.fields, n.folded = kindUnsure, nil, nil
			}
		}
	}
	return n
}

// structFields fills a struct's fields as encoding/json names them; it
// reports false for what it does not model (a tag option but omitempty, an
// embedded struct with fields).
func structFields(n *node, t, keys reflect.Type) bool {
	n.fields, n.folded = map[string]*slot{}, map[string]*slot{}
	for f := range t.Fields() {
		if f.Anonymous {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.NumField() == 0 {
				continue // smithy's NoSerde marker: nothing to decode
			}
			return false
		}
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			tname, opts, _ := strings.Cut(tag, ",")
			for o := range strings.SplitSeq(opts, ",") {
				if o != "" && o != "omitempty" && o != "omitzero" {
					return false
				}
			}
			if tname != "" {
				name = tname
			}
		}
		s := &slot{name: name, key: -1}
		var kt reflect.Type
		if keys != nil && keys.Kind() == reflect.Struct {
			if kf, ok := keys.FieldByName(f.Name); ok && len(kf.Index) == 1 {
				s.key, kt = kf.Index[0], kf.Type
			}
		}
		s.node = buildNode(f.Type, kt)
		if _, dup := n.fields[name]; dup {
			return false
		}
		n.fields[name] = s
		for len(n.byLen) <= len(name) {
			n.byLen = append(n.byLen, nil)
		}
		n.byLen[len(name)] = append(n.byLen[len(name)], s)
		if up := strings.ToUpper(name); up == name || isASCII(name) {
			if _, dup := n.folded[up]; !dup {
				n.folded[up] = s
			}
		} else {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checker checks one JSON value against a schema, decoding the keys on the
// way.
type checker struct {
	b      []byte
	i      int
	unsure bool // met something the schema does not model
	depth  int  // of objects and arrays
}

// maxDepth is the nesting beyond which the check leaves an element to
// encoding/json, which rejects nesting deeper than 10,000.
const maxDepth = 1000

// check checks the element b against n, decoding into key (the element's
// keys value, addressable; invalid for none).
func check(b []byte, n *node, key reflect.Value) verdict {
	c := checker{b: b}
	c.ws()
	ok := c.value(n, key)
	c.ws()
	switch {
	case !ok || c.i != len(c.b):
		return elementBad
	case c.unsure:
		return elementUnsure
	}
	return elementOK
}

func (c *checker) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// value checks the value at c.i against n (nil: any value, syntax only),
// decoding it into key when key is valid. It reports false on a syntax or
// type error.
func (c *checker) value(n *node, key reflect.Value) bool {
	if c.i >= len(c.b) {
		return false
	}
	if n != nil && n.kind == kindUnmarshaler {
		start := c.i
		if !c.value(nil, reflect.Value{}) {
			return false
		}
		return reflect.New(n.typ).Interface().(json.Unmarshaler).UnmarshalJSON(c.b[start:c.i]) == nil
	}
	if n != nil && n.kind == kindUnsure {
		c.unsure = true
		n = nil
	}
	switch ch := c.b[c.i]; {
	case ch == '{' || ch == '[':
		if c.depth >= maxDepth { // passed over without recursing
			c.unsure = true
			w := walker{b: c.b, i: c.i}
			_, ok := w.value()
			c.i = w.i
			return ok
		}
		c.depth++
		var ok bool
		if ch == '{' {
			ok = c.object(n, key)
		} else {
			ok = c.array(n, key)
		}
		c.depth--
		return ok
	case ch == '"':
		start := c.i
		esc, high, ok := c.str()
		if !ok {
			return false
		}
		if n == nil || n.kind == kindAny {
			return true
		}
		if n.kind != kindString {
			return false
		}
		if key = settable(key); key.IsValid() && key.Kind() == reflect.String {
			if esc || high {
				var s string
				if json.Unmarshal(c.b[start:c.i], &s) != nil {
					return false
				}
				key.SetString(s)
			} else {
				key.SetString(string(c.b[start+1 : c.i-1]))
			}
		}
		return true
	case ch == 't' || ch == 'f':
		lit := "false"
		if ch == 't' {
			lit = "true"
		}
		if !bytes.HasPrefix(c.b[c.i:], []byte(lit)) {
			return false
		}
		c.i += len(lit)
		if n == nil || n.kind == kindAny {
			return true
		}
		if n.kind != kindBool {
			return false
		}
		if key = settable(key); key.IsValid() && key.Kind() == reflect.Bool {
			key.SetBool(ch == 't')
		}
		return true
	case ch == 'n':
		if !bytes.HasPrefix(c.b[c.i:], []byte("null")) {
			return false
		}
		c.i += 4
		if key.IsValid() {
			switch key.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
				key.SetZero()
			}
		}
		return true
	case ch == '-' || ch >= '0' && ch <= '9':
		start := c.i
		integer, ok := c.number()
		if !ok {
			return false
		}
		if n == nil {
			return true
		}
		num := string(c.b[start:c.i])
		switch n.kind {
		case kindInt:
			v, err := strconv.ParseInt(num, 10, 64)
			if !integer || err != nil || n.bits < 64 && (v < -1<<(n.bits-1) || v >= 1<<(n.bits-1)) {
				return false
			}
			if key = settable(key); key.IsValid() && key.CanInt() {
				key.SetInt(v)
			}
			return true
		case kindUint:
			v, err := strconv.ParseUint(num, 10, 64)
			return integer && err == nil && (n.bits == 64 || v < 1<<n.bits)
		case kindFloat:
			_, err := strconv.ParseFloat(num, n.bits)
			return err == nil
		case kindAny:
			_, err := strconv.ParseFloat(num, 64)
			return err == nil
		}
		return false
	}
	return false
}

// settable follows key's pointers as encoding/json does when it decodes a
// value that is not null: a nil pointer gets a new value, a set one is
// reused.
func settable(key reflect.Value) reflect.Value {
	for key.IsValid() && key.Kind() == reflect.Pointer {
		if key.IsNil() {
			key.Set(reflect.New(key.Type().Elem()))
		}
		key = key.Elem()
	}
	return key
}

// keyAs is where a value of node n goes in the keys being read: key, when
// n is of kind want and key can hold a value of kind rk; else nowhere.
func keyAs(n *node, want kind, key reflect.Value, rk reflect.Kind) reflect.Value {
	if n == nil || n.kind != want {
		return reflect.Value{}
	}
	if key = settable(key); key.IsValid() && key.Kind() != rk {
		return reflect.Value{}
	}
	return key
}

func (c *checker) object(n *node, key reflect.Value) bool {
	c.i++ // {
	if n != nil {
		switch n.kind {
		case kindStruct, kindMap, kindAny:
		default:
			return false
		}
	}
	key = keyAs(n, kindStruct, key, reflect.Struct)
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return true
	}
	var up [64]byte
	for {
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		start := c.i
		esc, high, ok := c.str()
		if !ok {
			return false
		}
		name := c.b[start+1 : c.i-1]
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		c.ws()
		var vn *node
		var vk reflect.Value
		switch {
		case n == nil || n.kind == kindAny:
		case n.kind == kindMap:
			vn = n.elem
		case esc || high || len(name) > len(up):
			c.unsure = true // a name encoding/json may unescape or fold otherwise
		default:
			var s *slot
			if len(name) < len(n.byLen) {
				for _, f := range n.byLen[len(name)] {
					if f.name == string(name) {
						s = f
						break
					}
				}
			}
			if s == nil {
				for i, ch := range name {
					if 'a' <= ch && ch <= 'z' {
						ch -= 'a' - 'A'
					}
					up[i] = ch
				}
				s = n.folded[string(up[:len(name)])]
			}
			if s != nil {
				vn = s.node
				if s.key >= 0 && key.IsValid() {
					vk = key.Field(s.key)
				}
			}
		}
		if !c.value(vn, vk) {
			return false
		}
		c.ws()
		if c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return true
		default:
			return false
		}
	}
}

func (c *checker) array(n *node, key reflect.Value) bool {
	c.i++ // [
	var en *node
	if n != nil {
		switch n.kind {
		case kindSlice:
			en = n.elem
		case kindAny:
		default:
			return false
		}
	}
	key = keyAs(n, kindSlice, key, reflect.Slice)
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		if key.IsValid() {
			key.Set(reflect.MakeSlice(key.Type(), 0, 0))
		}
		return true
	}
	i := 0
	for {
		c.ws()
		var ek reflect.Value
		if key.IsValid() { // as encoding/json grows a slice: elements are reused
			if i >= key.Cap() {
				key.Grow(1)
			}
			if i >= key.Len() {
				key.SetLen(i + 1)
			}
			ek = key.Index(i)
		}
		if !c.value(en, ek) {
			return false
		}
		i++
		c.ws()
		if c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			if key.IsValid() && i < key.Len() {
				key.SetLen(i)
			}
			return true
		default:
			return false
		}
	}
}

// lsb has the lowest bit of every byte of a word set.
const lsb = 0x0101010101010101

// plain marks the bytes that a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for ch := 0x20; ch < 0x80; ch++ {
		t[ch] = ch != '"' && ch != '\\'
	}
	return t
}()

// str checks the string at c.i and moves past it; esc reports an escape,
// high a byte beyond ASCII (which encoding/json checks as UTF-8 and may
// replace).
func (c *checker) str() (esc, high, ok bool) {
	b, i := c.b, c.i+1
	for {
		// Eight bytes at a time while none is a quote, a backslash, a
		// control character or beyond ASCII.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, s := x^(lsb*'"'), x^(lsb*'\\')
			if ((x-lsb*0x20)&^x|(q-lsb)&^q|(s-lsb)&^s|x)&(lsb*0x80) != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return false, false, false
		}
		switch ch := b[i]; {
		case ch == '"':
			c.i = i + 1
			return esc, high, true
		case ch == '\\':
			esc = true
			if i+1 >= len(b) {
				return false, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false, false, false
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false, false, false
					}
				}
				i += 6
			default:
				return false, false, false
			}
		case ch < 0x20:
			return false, false, false
		default:
			high = true
			i++
		}
	}
}

// number checks the number at c.i and moves past it; integer reports one
// without fraction or exponent.
func (c *checker) number() (integer, ok bool) {
	b, i := c.b, c.i
	digits := func() bool {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false, false
		}
		integer = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false, false
		}
		integer = false
	}
	c.i = i
	return integer, true
}
