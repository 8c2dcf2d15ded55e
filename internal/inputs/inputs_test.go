package inputs_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/inputs"
)

// tree writes files (folders end with /) under a new folder.
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// walk lists what Walk yields, relative to root; a sample's files are marked
// with its world and policy.
func walk(t *testing.T, root, path string) ([]string, error) {
	t.Helper()
	var got []string
	err := inputs.Walk(path, func(f inputs.File) error {
		rel, _ := filepath.Rel(root, f.Path)
		if s := f.Sample; s != nil {
			world, _ := filepath.Rel(root, s.World)
			rel += " world=" + world
			if s.Policy != "" {
				policy, _ := filepath.Rel(root, s.Policy)
				rel += " policy=" + policy
			}
		}
		got = append(got, rel)
		return nil
	})
	return got, err
}

func TestWalk(t *testing.T) {
	trail := tree(t,
		"AWSLogs/1/CloudTrail/us-east-1/2026/11/20/b.json.gz",
		"AWSLogs/1/CloudTrail/us-east-1/2026/11/20/a.json.gz",
		"AWSLogs/1/CloudTrail/us-east-1/2026/11/20/notes.txt",
		"AWSLogs/1/CloudTrail/us-east-1/2026/11/19/z.json",
		"AWSLogs/1/CloudTrail-Digest/us-east-1/d.json.gz",
		".hidden/x.json",
		"AWSLogs/.x.json",
		"lines.jsonl", "lines.ndjson", "plain.gz", "README.md",
	)
	samples := tree(t,
		"README.md",
		"a/event.json", "a/world.json", "a/want.json", "a/expect.json", "a/README.md", "a/PROVENANCE.md", "a/sub/event.json",
		"b/event.json", "b/event-2.json", "b/event-1.json", "b/world.json", "b/policy.json", "b/notes.json",
		"c/event.json", "c/want.json",
	)
	empty := tree(t, "nothing/", "notes.txt")
	tests := []struct {
		name, root, path string
		want             []string
	}{
		{"a CloudTrail prefix, in lexical order", trail, trail, []string{
			"AWSLogs/1/CloudTrail/us-east-1/2026/11/19/z.json",
			"AWSLogs/1/CloudTrail/us-east-1/2026/11/20/a.json.gz",
			"AWSLogs/1/CloudTrail/us-east-1/2026/11/20/b.json.gz",
			"lines.jsonl", "lines.ndjson", "plain.gz",
		}},
		{"a file named directly, whatever its name", trail, filepath.Join(trail, "README.md"), []string{"README.md"}},
		{"a folder of samples: only their event files", samples, samples, []string{
			"a/event.json world=a/world.json",
			"b/event.json world=b/world.json policy=b/policy.json",
			"b/event-1.json world=b/world.json policy=b/policy.json",
			"b/event-2.json world=b/world.json policy=b/policy.json",
			"c/event.json", "c/want.json", // no world.json: not a sample
		}},
		{"one sample folder", samples, filepath.Join(samples, "a"), []string{"a/event.json world=a/world.json"}},
		{"a file of a sample folder named directly: that sample's", samples, filepath.Join(samples, "b", "event-2.json"), []string{"b/event-2.json world=b/world.json policy=b/policy.json"}},
		{"any file of a sample folder named directly", samples, filepath.Join(samples, "a", "want.json"), []string{"a/want.json world=a/world.json"}},
		{"a sample's world named directly is no event of it", samples, filepath.Join(samples, "a", "world.json"), []string{"a/world.json"}},
		{"a file next to no world.json", samples, filepath.Join(samples, "c", "event.json"), []string{"c/event.json"}},
		{"a folder with no input files", empty, empty, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(t, tt.root, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("walked\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestWalkErrors(t *testing.T) {
	root := tree(t, "a.json", "b.json")
	t.Run("missing path", func(t *testing.T) {
		if _, err := walk(t, root, filepath.Join(root, "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v; want not exist", err)
		}
	})
	t.Run("fn's error stops the walk", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := inputs.Walk(root, func(inputs.File) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("error %v after %d files; want stop after 1", err, n)
		}
	})
	t.Run("unreadable folder", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads every folder")
		}
		locked := tree(t, "a.json", "locked/b.json", "z.json")
		os.Chmod(filepath.Join(locked, "locked"), 0)
		t.Cleanup(func() { os.Chmod(filepath.Join(locked, "locked"), 0o755) })
		got, err := walk(t, locked, locked)
		if err == nil || !reflect.DeepEqual(got, []string{"a.json", "z.json"}) {
			t.Errorf("walked %v, error %v; want a.json z.json and an error", got, err)
		}
	})
}

func TestFileNames(t *testing.T) {
	for _, tt := range []struct {
		name          string
		record, event bool
	}{
		{"event.json", true, true},
		{"event-2.json", true, true},
		{"event-2.json.gz", true, false},
		{"events.json", true, false},
		{"x.jsonl", true, false},
		{"x.ndjson", true, false},
		{"x_CloudTrail_us-east-1.json.gz", true, false},
		{".event.json", false, false},
		{"README.md", false, false},
		{"PROVENANCE.md", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := inputs.IsRecordFile(tt.name); got != tt.record {
				t.Errorf("IsRecordFile = %v", got)
			}
			if got := inputs.IsEventFile(tt.name); got != tt.event {
				t.Errorf("IsEventFile = %v", got)
			}
		})
	}
}
