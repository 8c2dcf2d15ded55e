package localathena

import (
	"os/exec"
	"strings"
	"testing"
)

// DuckDB and gofakes3 are for local runs and tests: the Lambda's build (and
// the ebsguard command's) must not link them.
func TestEnginesStayOutOfTheLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("go list over the module")
	}
	for _, pkg := range []string{"../../lambda/handler", "../../cmd/ebsguard"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range []string{"duckdb", "gofakes3", "/internal/localathena"} {
				if strings.Contains(dep, banned) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
