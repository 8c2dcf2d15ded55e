package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localrun"
)

// buildLocal builds the bootstrap and the pinned emulator, as `make
// build-local` does, into a temporary folder.
func buildLocal(t *testing.T) (rie, bootstrap string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the bootstrap and the emulator")
	}
	dir := t.TempDir()
	build := func(name, pkg string, env ...string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
		return out
	}
	return build("aws-lambda-rie", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"),
		build("bootstrap", "./lambda/handler", "CGO_ENABLED=0")
}

// `make demo` shows a copy that is pending when its event arrives reported as
// DEFAULT_KEY_FALLBACK by a later re-check (issue 8 §4): with the demo's own
// default settings, the sample copy-pending-fallback prints pending on
// arrival, a re-check that still finds nothing, then the finding, and the
// notification says which re-check sent it.
func TestDemoShowsRecheck(t *testing.T) {
	rie, bootstrap := buildLocal(t)
	var out strings.Builder
	code := run(context.Background(), rie, bootstrap, "../../events/samples/copy-pending-fallback", "", localrun.FindDynalite("."),
		recheckSettings(defaultBackoff, defaultDeadline), false, &out)
	got := out.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, got)
	}
	for _, want := range []string{
		`RECHECK_BACKOFF=1s RECHECK_DEADLINE=5s`,
		`copy-pending-fallback +pending on arrival: not visible yet, checked again\n`,
		`\n +re-check #1, [0-9.]+s after arrival: pending \(still not visible\)\n`,
		`\n +re-check #2, [0-9.]+s after arrival: violation DEFAULT_KEY_FALLBACK  -> 1 notification\n`,
		`== ebsguard HIGH: DEFAULT_KEY_FALLBACK in 222222222222 us-east-1 +\[copy-pending-fallback, re-check #2, [0-9.]+s after arrival\]`,
		`rule copy/encrypted/shared; intended arn:aws:kms:us-east-1:111111111111:key/aaaa0000-0000-4000-8000-000000000007; ` +
			`actual arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1`,
		`Summary: 1 event: 0 compliant, 1 violation, 0 pending, 0 skipped, 0 error; 2 re-checks; 1 notification`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("output lacks %q\n%s", want, got)
		}
	}
}
