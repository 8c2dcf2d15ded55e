package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The benchmark keeps working as the samples, the world and the engine
// change: every event of a short stream is judged as its sample's oracle
// says (run fails otherwise), and both figures are printed. The figures'
// values are left to `make bench`.
func TestStreamMatchesTheSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts localaws")
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, "../../events/samples", 60, true); err != nil {
		t.Fatal(err)
	}
	for _, fig := range []string{"calls-warm-RunInstances ", "calls-warm-CopyImage "} {
		if !strings.Contains(out.String(), "\n"+fig) {
			t.Errorf("no %q line in:\n%s", fig, out.String())
		}
	}
}
