package world

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The fast split of a world's levels gives what the standard decoder gives,
// on every sample's world and on hand-made edge cases; what it does not
// follow, it leaves to the decoder.
func TestFastShapeAgrees(t *testing.T) {
	docs := map[string][]byte{
		"empty":          []byte(`{}`),
		"null accounts":  []byte(`{"accounts": null}`),
		"null region":    []byte(`{"accounts": {"1": {"us-east-1": null}}}`),
		"escapes":        []byte("{\"accounts\":{\"1\":{\"us-east-1\":{\"keys\":[{\"Aliases\":[\"alias/a\\\"}{,\"]}],\"ebsDefaultKmsKeyId\":\"x\\\\\"}}}}"),
		"spaces":         []byte(" {\n \"accounts\" : { \"1\" : { \"r\" : { \"images\" : [ ] , \"ebsEncryptionByDefault\" : true } } } }\n"),
		"organization":   []byte(`{"organization":{"id":"o-1","accounts":[{"Id":"1"}]},"accounts":{}}`),
		"unknown top":    []byte(`{"acounts":{}}`),
		"not an object":  []byte(`[]`),
		"truncated":      []byte(`{"accounts":{"1":{"r":{"images":[}`),
		"bad string":     []byte(`{"accounts":{"1":{"r":{"images":"abc}}}}`),
		"missing colon":  []byte(`{"accounts" {}}`),
		"trailing comma": []byte(`{"accounts":{},}`),
		"array elements": []byte(`{"accounts":{"1":{"r":{"images":[ {"ImageId":"a,]}"} , {"ImageId":"b\\\""},{}],"volumes":[],"snapshots":null}}}}`),
		"bad elements":   []byte(`{"accounts":{"1":{"r":{"images":[1,,2]}}}}`),
		"not an array":   []byte(`{"accounts":{"1":{"r":{"images":[1] [2]}}}}`),
		"mismatched":     []byte(`{"accounts":{"1":{"r":{"images":[1}}}}`),
		"repeated":       []byte(`{"accounts":{"1":{"r":{"images":[1]}}},"accounts":{"2":null},"organization":{"id":"a"},"organization":{"accounts":[]}}`),
	}
	files, _ := filepath.Glob("../../events/samples/*/world.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = b
	}
	for name, b := range docs {
		t.Run(name, func(t *testing.T) {
			got, ok := fastShape(&source{b: b})
			var want docShape
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			err := dec.Decode(&want)
			if !ok {
				return // the decoder's way, whatever it says
			}
			if err != nil {
				// Accepted here, rejected by the decoder: only when the
				// error is inside a value, which Parse decodes next.
				if _, perr := Parse(bytes.NewReader(b)); perr == nil {
					t.Fatalf("fastShape and Parse accept what the decoder rejects: %v", err)
				}
				return
			}
			if !sameJSON(t, got.Accounts, want.Accounts) || !sameJSON(t, got.Organization, want.Organization) {
				t.Errorf("fastShape = %s, %s; the decoder %s, %s", js(got.Accounts), js(got.Organization), js(want.Accounts), js(want.Organization))
			}
			// The lists it read hold the array's elements.
			for ref, z := range got.lazy {
				r := &Region{lazy: z}
				vols, imgs := volumes.of(r).lazy, images.of(r).lazy
				if vols == nil && imgs == nil {
					continue
				}
				fields := got.Accounts[ref[0]][ref[1]]
				for name, l := range map[string][][]byte{"volumes": rawOf(vols), "images": rawOf(imgs)} {
					var whole []json.RawMessage
					if json.Unmarshal(fields[name], &whole) != nil {
						continue // not an array of valid elements: checked later
					}
					raws := make([]json.RawMessage, len(l))
					for i, e := range l {
						raws[i] = e
					}
					if !sameJSON(t, raws, whole) {
						t.Errorf("%v %s read as %q; want %s", ref, name, l, js(whole))
					}
				}
			}
		})
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func sameJSON(t *testing.T, a, b any) bool {
	var x, y any
	if err := json.Unmarshal([]byte(js(a)), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(js(b)), &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func rawOf[T, K any](l *lazyList[T, K]) [][]byte {
	if l == nil {
		return nil
	}
	out := make([][]byte, l.spans.len())
	for i := range out {
		out[i] = l.elem(i)
	}
	return out
}
