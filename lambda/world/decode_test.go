package world

import "testing"

// Every field name Parse accepts in a Region is decoded into the Region.
func TestEveryRegionFieldDecoded(t *testing.T) {
	for _, name := range regionFields {
		if regionField(&Region{}, name) == nil {
			t.Errorf("Region field %q is accepted but not decoded", name)
		}
	}
}
