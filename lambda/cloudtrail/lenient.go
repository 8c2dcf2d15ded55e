package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

var null = []byte("null")

// Flag decodes a CloudTrail boolean that may be absent, null, a JSON boolean
// or a string ("true", "false"). Absent and null stay rules.Omitted.
type Flag rules.Flag

// UnmarshalJSON implements json.Unmarshaler.
func (f *Flag) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, null) {
		*f = Flag(rules.Omitted)
		return nil
	}
	s := string(b)
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	switch strings.ToLower(s) {
	case "true":
		*f = Flag(rules.True)
	case "false":
		*f = Flag(rules.False)
	case "":
		*f = Flag(rules.Omitted)
	default:
		return fmt.Errorf("not a boolean: %s", b)
	}
	return nil
}

// String decodes a CloudTrail string that may arrive as a number or boolean.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, null):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		// An empty object or list where a scalar was expected carries nothing.
		if bytes.Equal(b, []byte("{}")) || bytes.Equal(b, []byte("[]")) {
			*s = ""
			return nil
		}
		return fmt.Errorf("not a scalar: %.40s", b)
	default:
		*s = String(b) // number or boolean, as written
	}
	return nil
}

// Items decodes a CloudTrail list: {"items": [...]}, {"item": [...]}, a bare
// list, {} or null.
type Items[T any] []T

// UnmarshalJSON implements json.Unmarshaler.
func (it *Items[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, null) {
		*it = nil
		return nil
	}
	var list []T
	if b[0] == '[' {
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*it = list
		return nil
	}
	var wrap struct {
		Items *[]T `json:"items"`
		Item  *[]T `json:"item"`
	}
	if err := json.Unmarshal(b, &wrap); err != nil {
		return err
	}
	switch {
	case wrap.Items != nil:
		*it = *wrap.Items
	case wrap.Item != nil:
		*it = *wrap.Item
	default:
		*it = nil
	}
	return nil
}
