package world

import (
	"reflect"
	"slices"
	"strings"
)

// Kept (kept_gen.go) lists, for every SDK struct type a world holds, the
// fields that the engine (lambda/verify) and this package's answers read: the
// only fields `world capture` writes (formats.md §2, "capture writes only the
// fields the engine reads"). It is derived from the code, not chosen: a test
// in lambda/capture type-checks lambda/verify and lambda/world, writes the
// list with -update (go test ./lambda/capture -run TestKeptIsWhatTheEngineReads
// -update), and otherwise fails when they read a field of these types that the
// list lacks, or when the list holds a field nothing reads. A struct type that
// is not listed keeps no field (a pointer to it stays, so that its presence
// still reads).
//
// What is kept is IDs, owners, states, encryption, keys, device names and the
// links between resources; launch-template names (a template can be asked by
// name), snapshot descriptions (the ImportSnapshot fallback filters on VM
// Import's own text) and import status messages, which --redact replaces
// unless AWS wrote them (see capture.Redactor).
var Kept = kept

// notCaptured are the Region members capture never records.
var notCaptured = []string{"Later", "Events"}

// Pruned returns a copy of the world that holds, of its SDK objects, only
// the Kept fields, and of each Region what capture records (every member but
// later entries and CloudTrail events). Members are found by reflection, so
// that a list added to Region is pruned, and tested, with no further line.
// w is not changed. It reads the Regions' fields: a world loaded by LoadLazy
// is Decoded first.
func Pruned(w *World) *World {
	out := &World{Accounts: map[string]map[string]*Region{}}
	for account, regions := range w.Accounts {
		out.Accounts[account] = map[string]*Region{}
		for name, r := range regions {
			if r == nil {
				continue
			}
			src, dst := reflect.ValueOf(r).Elem(), reflect.New(reflect.TypeFor[Region]())
			for f := range src.Type().Fields() {
				if f.IsExported() && !slices.Contains(notCaptured, f.Name) {
					dst.Elem().FieldByIndex(f.Index).Set(prune(src.FieldByIndex(f.Index)))
				}
			}
			out.Accounts[account][name] = dst.Interface().(*Region)
		}
	}
	return out
}

func pruneAll[T any](xs []T) []T {
	if xs == nil {
		return nil
	}
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = Prune(x)
	}
	return out
}

// Prune returns a deep copy of x that keeps, in every SDK struct it holds,
// only the Kept fields.
func Prune[T any](x T) T {
	v := prune(reflect.ValueOf(&x).Elem())
	return v.Interface().(T)
}

// sdkPackage tells the SDK's service packages, whose structs are pruned,
// from everything else (time.Time, smithy documents), copied as it is.
func sdkPackage(t reflect.Type) bool {
	return strings.HasPrefix(t.PkgPath(), "github.com/aws/aws-sdk-go-v2/service/")
}

func prune(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(prune(v.Elem()))
			out.Set(p)
		}
	case reflect.Slice:
		if !v.IsNil() {
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			for i := range v.Len() {
				s.Index(i).Set(prune(v.Index(i)))
			}
			out.Set(s)
		}
	case reflect.Map:
		if !v.IsNil() {
			m := reflect.MakeMapWithSize(v.Type(), v.Len())
			for it := v.MapRange(); it.Next(); {
				m.SetMapIndex(it.Key(), prune(it.Value()))
			}
			out.Set(m)
		}
	case reflect.Struct:
		if v.Type().PkgPath() == reflect.TypeFor[Region]().PkgPath() {
			// This package's own (Key): every exported member, pruned.
			for f := range v.Type().Fields() {
				if f.IsExported() {
					out.FieldByIndex(f.Index).Set(prune(v.FieldByIndex(f.Index)))
				}
			}
			break
		}
		if !sdkPackage(v.Type()) {
			out.Set(v)
			break
		}
		for _, name := range Kept[v.Type()] {
			f := v.FieldByName(name)
			out.FieldByName(name).Set(prune(f))
		}
	case reflect.Interface:
		// A union or document: nothing the engine reads; left out.
	default:
		out.Set(v)
	}
	return out
}
