package localrun_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localrun"
)

// LoadSamples reads the files replay reads: a sample's event files against
// its own world and policy, never its README.md, PROVENANCE.md or want.json.
func TestLoadSamples(t *testing.T) {
	src := "../../events/samples/launch-disallowed-key"
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	root := t.TempDir()
	write := func(rel string, b []byte) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", []byte("# not an event"))
	for _, f := range []string{"event.json", "world.json", "policy.json", "want.json"} {
		write("s/"+f, read(f))
	}
	write("s/event-2.json", read("event.json"))
	write("s/PROVENANCE.md", []byte("not an event"))
	write("trail/x.json", read("event.json"))
	write("trail/README.md", []byte("not an event"))

	os.MkdirAll(filepath.Join(root, "nothing"), 0o755)
	tests := []struct {
		name, path, world string
		want              []string
		policy            bool
		err               string
	}{
		{"a folder of samples", root, "", nil, false, "not in a sample folder"},
		{"one sample", filepath.Join(root, "s"), "", []string{"s", "s/event-2.json"}, true, ""},
		{"events against a world", filepath.Join(root, "trail"), filepath.Join(src, "world.json"), []string{filepath.Join(root, "trail/x.json")}, false, ""},
		{"a world replaces the sample's", filepath.Join(root, "s"), filepath.Join(src, "world.json"), []string{"s", "s/event-2.json"}, true, ""},
		{"a missing folder", filepath.Join(root, "missing"), "", nil, false, "no such file"},
		{"an empty folder", filepath.Join(root, "nothing"), "", nil, false, "holds no event files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := localrun.LoadSamples(tt.path, tt.world)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v; want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
				if s.World == nil || string(s.Event) != string(read("event.json")) || (s.Policy != "") != tt.policy {
					t.Errorf("%s: world %v, policy %q, event of %d bytes", s.Name, s.World != nil, s.Policy, len(s.Event))
				}
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("samples %v; want %v", names, tt.want)
			}
		})
	}
}
