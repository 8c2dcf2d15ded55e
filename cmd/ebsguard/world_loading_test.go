package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The --world file loads beside the read; one that does not parse still
// fails the replay with its error, and no verdict is printed.
func TestReplayMalformedWorld(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, doc, want string }{
		{"bad JSON", `{"accounts": {"1": {"us-east-1": {"volumes": [{"VolumeId": }]}}}}`, "bad.json"},
		{"wrong type", `{"accounts": {"1": {"us-east-1": {"volumes": [{"VolumeId": "vol-1", "Size": "big"}]}}}}`, "Volume.Size"},
		{"unknown field", `{"accounts": {"1": {"us-east-1": {"volumez": []}}}}`, `unknown field "volumez"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := replayRun(t, "", "replay", "--world", path, "--format", "json", eventPath)
			if code != 1 || out != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "ebsguard replay:") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, one line naming %q", code, out, stderr, tc.want)
			}
		})
	}
}
