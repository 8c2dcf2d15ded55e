package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite events/samples/*/want.json")

// SampleArgs returns the replay arguments of a sample folder.
func sampleArgs(dir string) []string {
	args := []string{"replay", "--world", filepath.Join(dir, "world.json"), "--format", "json"}
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		args = append(args, "--policy", filepath.Join(dir, "policy.json"))
	}
	return append(args, filepath.Join(dir, "event.json"))
}

// TestSamples replays every sample and compares the output with want.json,
// byte for byte: want.json is exactly what `ebsguard replay --format json`
// prints.
func TestSamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../events/samples/*/event.json")
	if len(dirs) < 20 {
		t.Fatalf("found %d samples; want at least one per rule ID", len(dirs))
	}
	for _, ev := range dirs {
		dir := filepath.Dir(ev)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), sampleArgs(dir), nil, &stdout, &stderr)
			if code == 2 || stderr.Len() > 0 && code != 1 {
				t.Fatalf("replay exit %d: %s", code, stderr.String())
			}
			wantPath := filepath.Join(dir, "want.json")
			if *update {
				if err := os.WriteFile(wantPath, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("replay printed\n%s\nwant\n%s", stdout.Bytes(), want)
			}
		})
	}
}
