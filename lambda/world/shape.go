package world

import (
	"bytes"
	"encoding/json"
)

// docShape is a world document split into its levels (accounts → Regions →
// fields, and the organization's fields), the values not decoded.
type docShape struct {
	Accounts     map[string]map[string]map[string]json.RawMessage `json:"accounts"`
	Organization map[string]json.RawMessage                       `json:"organization"`
	// lazy are the resource lists fastShape read, by account and Region
	// (lazy.go).
	lazy map[[2]string]*lazyRegion
}

// fastShape splits a world document into its levels without decoding the
// values, and reads the Regions' resource lists element by element (each
// checked, its keys decoded: lazy.go): one pass over the bytes that reads
// the levels' keys and, below them, the lists, and tracks only strings and
// nesting through the other values, where the standard decoder would scan
// and copy every resource. It reports false for anything it does not follow
// (malformed JSON around the values, another top-level key, a level that is
// not an object or null); Parse then takes the standard decoder's way, whose
// errors name the problem. The other values are decoded afterwards, and so
// checked.
func fastShape(src *source) (*docShape, bool) {
	b := src.b
	s := &docShape{lazy: map[[2]string]*lazyRegion{}}
	w := walker{b: b, src: src}
	w.ws()
	ok := w.object(func(k string) bool {
		switch k {
		case "accounts":
			if w.null() {
				s.Accounts = nil
				return true
			}
			if s.Accounts == nil {
				s.Accounts = map[string]map[string]map[string]json.RawMessage{}
			}
			return w.object(func(acct string) bool {
				if w.null() {
					s.Accounts[acct] = nil
					return true
				}
				regions := map[string]map[string]json.RawMessage{}
				s.Accounts[acct] = regions
				return w.object(func(region string) bool {
					if w.null() {
						regions[region] = nil
						return true
					}
					fields := map[string]json.RawMessage{}
					regions[region] = fields
					lazy := &lazyRegion{}
					s.lazy[[2]string{acct, region}] = lazy
					return w.object(func(field string) bool {
						start := w.i
						if slot := lazyField(lazy, field); slot != nil {
							slot.clear()
							if slot.scan(&w) {
								fields[field] = w.b[start:w.i]
								return true
							}
						}
						raw, ok := w.value()
						fields[field] = raw
						return ok
					})
				})
			})
		case "organization":
			if w.null() {
				s.Organization = nil
				return true
			}
			if s.Organization == nil {
				s.Organization = map[string]json.RawMessage{}
			}
			return w.object(func(field string) bool {
				raw, ok := w.value()
				s.Organization[field] = raw
				return ok
			})
		}
		return false // an unknown field: the decoder says which
	})
	w.ws()
	if !ok || w.i != len(b) {
		return nil, false
	}
	return s, true
}

// walker reads the levels of a document.
type walker struct {
	b   []byte
	i   int
	src *source // what b is part of, kept by the lists read (lazy.go)
}

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// null consumes a null at w.i.
func (w *walker) null() bool {
	if bytes.HasPrefix(w.b[w.i:], []byte("null")) {
		w.i += 4
		w.ws()
		return true
	}
	return false
}

// object reads the object at w.i, calling member with each key, at its
// value, which member reads.
func (w *walker) object(member func(key string) bool) bool {
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return false
	}
	w.i++
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		w.ws()
		return true
	}
	for {
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return false
		}
		c := checker{b: w.b, i: w.i}
		esc, high, ok := c.str()
		if !ok {
			return false
		}
		var key string
		if esc || high {
			if json.Unmarshal(w.b[w.i:c.i], &key) != nil {
				return false
			}
		} else {
			key = string(w.b[w.i+1 : c.i-1])
		}
		w.i = c.i
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			return false
		}
		w.i++
		w.ws()
		if !member(key) {
			return false
		}
		w.ws()
		if w.i >= len(w.b) {
			return false
		}
		switch w.b[w.i] {
		case ',':
			w.i++
			w.ws()
		case '}':
			w.i++
			w.ws()
			return true
		default:
			return false
		}
	}
}

// value passes over the value at w.i, tracking only strings and nesting, and
// returns its bytes. It leaves the value's syntax unchecked, but for where it
// ends: before a comma, or the bracket that closes what holds it.
func (w *walker) value() (raw []byte, ok bool) {
	b, start := w.b, w.i
	depth, i := 0, start
scan:
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i++
			for {
				for i < len(b) && plain[b[i]] {
					i++
				}
				if i >= len(b) {
					return nil, false
				}
				if b[i] == '"' {
					break
				}
				if b[i] == '\\' {
					i++
				}
				i++
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				break scan // the end of what holds it
			}
			depth--
		case ',':
			if depth == 0 {
				break scan
			}
		}
	}
	raw = bytes.TrimSpace(b[start:i])
	w.i = i
	return raw, len(raw) > 0 && depth == 0
}
