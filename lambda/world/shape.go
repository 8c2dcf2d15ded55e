package world

import (
	"bytes"
	"encoding/json"
)

// fastShape splits a world document into its levels (accounts → Regions →
// fields, and the organization's fields) without decoding the values: one
// pass over the bytes that tracks only strings and nesting, where the
// standard decoder would scan and copy every resource. It reports false for
// anything it does not follow (malformed JSON, another top-level key, a level
// that is not an object or null); Parse then takes the standard decoder's
// way, whose errors name the problem. The values it returns are decoded, and
// so validated, afterwards.
func fastShape(b []byte) (accounts map[string]map[string]map[string]json.RawMessage, org map[string]json.RawMessage, ok bool) {
	top, ok := members(b)
	if !ok {
		return nil, nil, false
	}
	for k, v := range top {
		switch k {
		case "accounts":
			if accounts, ok = nested3(v); !ok {
				return nil, nil, false
			}
		case "organization":
			if org, ok = membersOrNull(v); !ok {
				return nil, nil, false
			}
		default:
			return nil, nil, false // an unknown field: the decoder says which
		}
	}
	return accounts, org, true
}

func nested3(v []byte) (map[string]map[string]map[string]json.RawMessage, bool) {
	if isNull(v) {
		return nil, true
	}
	accts, ok := members(v)
	if !ok {
		return nil, false
	}
	out := make(map[string]map[string]map[string]json.RawMessage, len(accts))
	for acct, rv := range accts {
		if isNull(rv) {
			out[acct] = nil
			continue
		}
		regions, ok := members(rv)
		if !ok {
			return nil, false
		}
		out[acct] = make(map[string]map[string]json.RawMessage, len(regions))
		for region, fv := range regions {
			fields, ok := membersOrNull(fv)
			if !ok {
				return nil, false
			}
			out[acct][region] = fields
		}
	}
	return out, true
}

func membersOrNull(v []byte) (map[string]json.RawMessage, bool) {
	if isNull(v) {
		return nil, true
	}
	return members(v)
}

func isNull(v []byte) bool { return bytes.Equal(v, []byte("null")) }

// members splits a JSON object into its members' raw values, by key.
func members(raw []byte) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	i, n := 1, len(raw)-1 // inside the braces
	skip := func() {
		for i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
			i++
		}
	}
	skip()
	if i == n {
		return out, true
	}
	for {
		skip()
		if i >= n || raw[i] != '"' {
			return nil, false
		}
		end, ok := stringEnd(raw, i)
		if !ok {
			return nil, false
		}
		var key string
		if err := json.Unmarshal(raw[i:end], &key); err != nil {
			return nil, false
		}
		i = end
		skip()
		if i >= n || raw[i] != ':' {
			return nil, false
		}
		i++
		skip()
		start := i
		depth := 0
	value:
		for ; i < n; i++ {
			switch raw[i] {
			case '"':
				e, ok := stringEnd(raw, i)
				if !ok {
					return nil, false
				}
				i = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth < 0 {
					return nil, false
				}
			case ',':
				if depth == 0 {
					break value
				}
			}
		}
		if depth != 0 {
			return nil, false
		}
		v := bytes.TrimSpace(raw[start:i])
		if len(v) == 0 {
			return nil, false
		}
		out[key] = v
		if i == n {
			return out, true
		}
		i++ // the comma
	}
}

// stringEnd returns the index just past the JSON string starting at raw[i].
func stringEnd(raw []byte, i int) (int, bool) {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}
