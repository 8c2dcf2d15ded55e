package world

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Every field name Parse accepts in a Region is decoded into the Region.
func TestEveryRegionFieldDecoded(t *testing.T) {
	for _, name := range regionFields() {
		if regionField(&Region{}, name) == nil {
			t.Errorf("Region field %q is accepted but not decoded", name)
		}
	}
}

// Splitting a list for parallel decoding changes nothing: for generated
// arrays whose strings hold commas, brackets, braces and escaped quotes, the
// parts decode to the whole, in order, at every part size.
func TestSplitArrayDecodesTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 0))
	pieces := []string{",", "[", "]", "{", "}", `\"`, `\\`, "a", " ", "é"}
	for round := range 200 {
		n := 1 + rng.IntN(40)
		items := make([]map[string]any, n)
		for i := range items {
			var s strings.Builder
			for range rng.IntN(12) {
				s.WriteString(pieces[rng.IntN(len(pieces))])
			}
			items[i] = map[string]any{"VolumeId": fmt.Sprintf("vol-%d", i), "Note": s.String(), "Tags": []any{map[string]any{"Key": s.String()}}}
		}
		raw, err := json.Marshal(items)
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		size := 1 + rng.IntN(len(raw)/2+1)
		var got []map[string]any
		if err := decodeList(raw, &got, make(chan struct{}, 2)); err != nil {
			t.Fatalf("round %d, size %d: %v", round, size, err)
		}
		for _, p := range splitArray(raw, size) {
			var part []map[string]any
			if err := json.Unmarshal(p, &part); err != nil {
				t.Fatalf("round %d: part %s: %v", round, p, err)
			}
		}
		var joined []map[string]any
		if parts := splitArray(raw, size); parts != nil {
			for _, p := range parts {
				var part []map[string]any
				json.Unmarshal(p, &part)
				joined = append(joined, part...)
			}
			if !reflect.DeepEqual(joined, want) {
				t.Fatalf("round %d, size %d: parts join to %v; want %v", round, size, joined, want)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: decodeList = %v; want %v", round, got, want)
		}
	}
}
