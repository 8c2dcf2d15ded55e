package capture

import (
	"encoding/json"
	"reflect"
	"strings"

	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// The part of a record's requestParameters and responseElements that capture
// keeps: the JSON members the engine's kind decodes them into
// (verify.RecordShape), found by walking the decoded JSON along the Go type,
// as encoding/json would match them.

var (
	stringType    = reflect.TypeFor[ct.String]()
	flagType      = reflect.TypeFor[ct.Flag]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
)

// keepShape returns what of v (decoded JSON) decoding into t reads. A value
// of the wrong JSON type for t is kept as it is: decoding fails on it the
// same way.
func keepShape(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := reflect.PointerTo(t).Implements(unmarshalType)
	switch {
	case t == stringType || t == flagType || t == rawType || t.Kind() == reflect.Interface || t.Kind() == reflect.Map:
		return v
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return v
	case t.Kind() == reflect.Slice:
		// A plain list, or one of CloudTrail's list forms the lenient
		// decoders (cloudtrail.Items, verify's containers) accept:
		// {"items": [...]}, {"item": [...]}, or one element alone.
		switch x := v.(type) {
		case []any:
			for i, y := range x {
				x[i] = keepShape(y, t.Elem())
			}
			return x
		case map[string]any:
			if !custom {
				return v
			}
			if items, ok := listWrapper(x); ok {
				for k, y := range items {
					items[k] = keepShape(y, t)
				}
				return items
			}
			return keepShape(x, t.Elem())
		}
		return v
	case t.Kind() == reflect.Struct && custom && t.NumField() == 0:
		// Presence is all it reads (noDevice): an empty value of the same
		// JSON type.
		switch v.(type) {
		case string:
			return ""
		case map[string]any:
			return map[string]any{}
		}
		return v
	case t.Kind() == reflect.Struct:
		x, ok := v.(map[string]any)
		if !ok {
			return v
		}
		fields := jsonFields(t)
		out := map[string]any{}
		for k, y := range x {
			if ft, ok := match(fields, k); ok {
				out[k] = keepShape(y, ft)
			}
		}
		return out
	}
	return v
}

// listWrapper returns the "items" and "item" members of a CloudTrail list
// object, when it has either.
func listWrapper(x map[string]any) (map[string]any, bool) {
	out := map[string]any{}
	for k, y := range x {
		if k == "items" || k == "item" {
			out[k] = y
		}
	}
	return out, len(out) > 0
}

// jsonFields maps the JSON member names of a struct to their types,
// embedded structs' members included.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// match finds the field a JSON member decodes into: by exact name, else
// case-insensitively, as encoding/json does.
func match(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}
