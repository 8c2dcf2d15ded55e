package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localrun"
)

// built is the bootstrap and the emulator, built once for the package's
// tests (in a folder TestMain removes).
var built struct {
	once           sync.Once
	dir            string
	rie, bootstrap string
	err            error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildLocal builds the bootstrap and the pinned emulator, as `make
// build-local` does, into a temporary folder, once.
func buildLocal(t *testing.T) (rie, bootstrap string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the bootstrap and the emulator")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "ebsguard-demo-test"); built.err != nil {
			return
		}
		build := func(name, pkg string, env ...string) string {
			if built.err != nil {
				return ""
			}
			out := filepath.Join(built.dir, name)
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), env...)
			if b, err := cmd.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
			}
			return out
		}
		built.rie = build("aws-lambda-rie", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
		built.bootstrap = build("bootstrap", "./lambda/handler", "CGO_ENABLED=0")
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.rie, built.bootstrap
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
		`SECURITY_HUB=true RECHECK_BACKOFF=1s RECHECK_DEADLINE=5s`,
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

// A result that never shows ends as still-pending, and the line that says so
// is timed as its verdict is: a launch's re-check looks again for a few
// seconds before it gives up, so "re-check #1, 4s after arrival: error
// (still-pending:7s)" contradicted itself. The time after arrival is never
// less than the age the verdict gives.
func TestDemoRecheckTimeIsTheVerdicts(t *testing.T) {
	rie, bootstrap := buildLocal(t)
	var out strings.Builder
	run(context.Background(), rie, bootstrap, "../../events/samples/launch-pending", "", localrun.FindDynalite("."),
		recheckSettings(defaultBackoff, defaultDeadline), false, &out)
	got := out.String()
	m := regexp.MustCompile(`re-check #[0-9]+, ([0-9.]+)s after arrival: error \(still-pending:([0-9]+)s\)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no still-pending re-check in\n%s", got)
	}
	after, _ := strconv.ParseFloat(m[1], 64)
	age, _ := strconv.Atoi(m[2])
	if after < float64(age)-0.5 { // the age is rounded to the second
		t.Errorf("still-pending:%ds shown %.1fs after arrival\n%s", age, after, got)
	}
}

// `make demo` shows a Security Hub outage that does not stop the e-mail
// (issue 16, independence): with Security Hub on, the lead sample's imports
// are denied twice; its e-mail is published on arrival, once, and Security
// Hub alone is retried through the re-check queue until it imports the
// finding, which the summary says.
func TestDemoShowsSecurityHubOutage(t *testing.T) {
	rie, bootstrap := buildLocal(t)
	var out strings.Builder
	code := run(context.Background(), rie, bootstrap, "../../events/samples/"+leadSamples[0], "", localrun.FindDynalite("."),
		recheckSettings(defaultBackoff, defaultDeadline), false, &out)
	got := out.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, got)
	}
	for _, want := range []string{
		`SECURITY_HUB=true RECHECK_BACKOFF=1s RECHECK_DEADLINE=5s`,
		`launch-encrypted-shared +violation  -> 1 notification\n +Security Hub outage \(injected: BatchImportFindings denied, AccessDeniedException\): the e-mail went out first`,
		`\n +re-check #1, [0-9.]+s after arrival: violation DEFAULT_KEY_FALLBACK  \(Security Hub retried alone: denied again; e-mail not repeated\)\n`,
		`\n +re-check #2, [0-9.]+s after arrival: violation DEFAULT_KEY_FALLBACK  \(Security Hub retried alone: imported; e-mail not repeated\)\n`,
		`== ebsguard HIGH: DEFAULT_KEY_FALLBACK in 222222222222 us-east-1 +\[launch-encrypted-shared\]\n`,
		`Summary: 1 event: 0 compliant, 1 violation, 0 pending, 0 skipped, 0 error; 2 re-checks; 1 notification\n  DEFAULT_KEY_FALLBACK +1\n`,
		`\nSecurity Hub outage \(launch-encrypted-shared\): 2 imports denied; the outage did not stop the e-mail: published at once, not repeated; ` +
			`Security Hub retried alone 2 times through the re-check queue, 1 finding imported on re-check #2, [0-9.]+s after arrival\.\n`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("output lacks %q\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n== "); n != 1 {
		t.Errorf("%d messages on the topic, want the one e-mail\n%s", n, got)
	}
}
