package localathena

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// buildFlags build the CLI as this test is built (race_test.go), so that
// the build cache of the test run serves it.
var buildFlags []string

// The security account that runs the CLI.
const securityAccount = "444444444444"

// buildCLI builds ./cmd/ebsguard once per test binary.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ebsguard")
	args := append([]string{"build"}, buildFlags...)
	out, err := exec.Command("go", append(args, "-o", bin, "../../cmd/ebsguard")...).CombinedOutput()
	if err != nil {
		t.Fatalf("build the CLI: %v\n%s", err, out)
	}
	return bin
}

// env points the SDK's standard variables at the local services, calling as
// the security account.
func env(athenaURL, awsURL string) []string {
	e := []string{
		"AWS_ACCESS_KEY_ID=" + localaws.AccessKeyFor(securityAccount), "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
	}
	for _, svc := range []string{"ATHENA", "GLUE", "S3"} {
		e = append(e, "AWS_ENDPOINT_URL_"+svc+"="+athenaURL)
	}
	for _, svc := range []string{"EC2", "KMS", "STS", "ORGANIZATIONS", "SECURITYHUB"} {
		e = append(e, "AWS_ENDPOINT_URL_"+svc+"="+awsURL)
	}
	return e
}

type verdict struct {
	EventID   string `json:"eventID"`
	EventTime string `json:"eventTime"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	Status    string `json:"status"`
	line      string
}

func verdicts(t *testing.T, out string) map[string]verdict {
	t.Helper()
	m := map[string]verdict{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v verdict
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("verdict %q: %v", l, err)
		}
		v.line = l
		m[v.EventID] = v
	}
	return m
}

// ebsguard backfill against the local Athena, Glue and S3 (the trail) and
// the local EC2, KMS and STS (the world) gives, for the window, accounts and
// Regions it is asked, exactly the verdicts replay gives for the same files
// against the same world; it reads only the objects holding those records.
func TestBackfillAgreesWithReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	s, sum, root := fixture(t)
	worldPath := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(worldPath, sum.World, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := world.Load(worldPath)
	if err != nil {
		t.Fatal(err)
	}
	aws := localaws.New(w, securityAccount)
	if err := aws.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { aws.Close() })
	bin := buildCLI(t)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env(s.URL(), aws.URL())
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}

	files := objectsOf(t, root)
	code, out, errOut := run("replay", "--world", worldPath, "--format", "json", root)
	if code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, errOut)
	}
	replayed := verdicts(t, out)
	if len(replayed) != int(sum.Relevant) {
		t.Fatalf("replay gave %d verdicts for %d relevant records", len(replayed), sum.Relevant)
	}

	for _, tc := range []struct {
		name, since, until string
		accounts, regions  []string
	}{
		{name: "the whole trail", since: "2024-01-01", until: "2024-04-01"},
		{name: "February, an account", since: "2024-02-01", until: "2024-03-01", accounts: testAccounts[1:2]},
		{name: "two accounts, a Region, January 31 from 05:00", since: "2024-01-31T05:00:00Z", until: "2024-02-01", accounts: testAccounts[:2], regions: testRegions[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetS3Reads()
			args := []string{"backfill", "--athena-table", "trail.cloudtrail", "--workgroup", "ebsguard", "--format", "json", "--since", tc.since, "--until", tc.until}
			if tc.accounts != nil {
				args = append(args, "--accounts", strings.Join(tc.accounts, ","))
			}
			if tc.regions != nil {
				args = append(args, "--regions", strings.Join(tc.regions, ","))
			}
			code, out, errOut := run(args...)
			if code != 0 {
				t.Fatalf("backfill: exit %d\n%s", code, errOut)
			}
			got := verdicts(t, out)
			start, _ := time.Parse(time.RFC3339, normalize(tc.since))
			end, _ := time.Parse(time.RFC3339, normalize(tc.until))
			want := map[string]verdict{}
			for id, v := range replayed {
				at, _ := time.Parse(time.RFC3339, v.EventTime)
				if at.Before(start) || !at.Before(end) || (tc.accounts != nil && !slices.Contains(tc.accounts, v.Account)) ||
					(tc.regions != nil && !slices.Contains(tc.regions, v.Region)) {
					continue
				}
				want[id] = v
			}
			if len(want) == 0 {
				t.Fatal("the case selects no record")
			}
			for id, v := range want {
				if g, ok := got[id]; !ok {
					t.Errorf("backfill lacks %s (%s)", id, v.line)
				} else if g.line != v.line {
					t.Errorf("event %s:\nbackfill %s\n  replay %s", id, g.line, v.line)
				}
			}
			for id := range got {
				if _, ok := want[id]; !ok {
					t.Errorf("backfill evaluated %s, outside the selection", id)
				}
			}
			// Only the objects holding the records were read.
			objects := map[string]bool{}
			for id := range want {
				o, ok := files[id]
				if !ok {
					t.Fatalf("no file holds %s", id)
				}
				objects[o] = true
			}
			if n, _ := s.S3Reads(); n != int64(len(objects)) {
				t.Errorf("read %d objects, want the %d holding the records", n, len(objects))
			}
			if !strings.Contains(errOut, "scanned") || !strings.Contains(errOut, "read ") {
				t.Errorf("no summary of the scan and the reads:\n%s", errOut)
			}
		})
	}

	// Evaluated as long past: a result gone since is skipped, where replay,
	// reading the event as fresh, waits for it (pending).
	t.Run("gone since", func(t *testing.T) {
		var doc map[string]map[string]map[string]map[string]any
		if err := json.Unmarshal(sum.World, &doc); err != nil {
			t.Fatal(err)
		}
		// The third account and Region of the fixture hold the CreateVolume sample.
		acct, region := testAccounts[1], testRegions[0]
		doc["accounts"][acct][region]["volumes"] = []any{}
		b, _ := json.Marshal(doc)
		gone, err := world.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		aws.SetWorld(gone)
		defer aws.SetWorld(w)
		code, out, errOut := run("backfill", "--athena-table", "trail.cloudtrail", "--workgroup", "ebsguard", "--format", "json",
			"--since", "2024-01-01", "--until", "2024-04-01", "--accounts", acct, "--regions", region)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		got := verdicts(t, out)
		if len(got) == 0 {
			t.Fatal("no verdict")
		}
		for _, v := range got {
			// A volume never listed after its call is creation-failed
			// (spec/rules.md, CreateVolume); other results gone since are *-gone.
			if v.Status != "skipped" || !(strings.Contains(v.line, "gone") || strings.Contains(v.line, `"reason":"creation-failed"`)) {
				t.Errorf("%s", v.line)
			}
		}
	})

	t.Run("Security Hub", func(t *testing.T) {
		code, out, errOut := run("backfill", "--athena-table", "trail.cloudtrail", "--workgroup", "ebsguard", "--format", "json",
			"--since", "2024-03-01", "--until", "2024-04-01", "--accounts", testAccounts[0], "--securityhub")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		findings := 0
		for _, v := range verdicts(t, out) {
			var f struct{ Findings []any }
			json.Unmarshal([]byte(v.line), &f)
			findings += len(f.Findings)
		}
		imported := aws.ImportedFindings()
		if findings == 0 || len(imported) == 0 {
			t.Errorf("%d findings in the verdicts, %d imported into Security Hub", findings, len(imported))
		}
	})

	t.Run("a window before the trail", func(t *testing.T) {
		code, out, errOut := run("backfill", "--athena-table", "trail.cloudtrail", "--workgroup", "ebsguard", "--since", "2023-01-01", "--until", "2023-06-01")
		if code != 1 || out != "" || !strings.Contains(errOut, "scanned no data") {
			t.Errorf("exit %d, want 1 and a word on it\n%s%s", code, out, errOut)
		}
	})

	t.Run("dry run", func(t *testing.T) {
		s.ResetS3Reads()
		code, out, errOut := run("backfill", "--athena-table", "trail.cloudtrail", "--since", "2024-02-01", "--until", "2024-03-01", "--dry-run")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, want := range []string{"SELECT eventid, \"$path\"", "\"timestamp\" BETWEEN '2024/02/01' AND '2024/03/01'", "AWSLogs/" + testOrg + "/310000000001/CloudTrail/eu-west-1/2024/02/", "estimate: Athena scans about"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry run lacks %q:\n%s", want, out)
			}
		}
		if n, _ := s.S3Reads(); n != 0 {
			t.Errorf("dry run read %d objects", n)
		}
	})

	t.Run("create table", func(t *testing.T) {
		code, out, errOut := run("backfill", "--athena-table", "trail.created", "--create-table", "s3://"+testBucket+"/AWSLogs/"+testOrg+"/",
			"--accounts", strings.Join(testAccounts, ","), "--regions", strings.Join(testRegions, ","), "--since", "2024-01-01", "--apply", "--workgroup", "ebsguard")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, want := range []string{"CREATE EXTERNAL TABLE trail.created", "'projection.timestamp.range'='2024/01/01,NOW'",
			"'storage.location.template'='s3://" + testBucket + "/AWSLogs/" + testOrg + "/${account}/CloudTrail/${region}/${timestamp}'"} {
			if !strings.Contains(out, want) {
				t.Errorf("DDL lacks %q:\n%s", want, out)
			}
		}
		// The table it created answers the backfill as the other.
		code, out, errOut = run("backfill", "--athena-table", "trail.created", "--workgroup", "ebsguard", "--format", "json", "--since", "2024-01-01", "--until", "2024-04-01")
		if code != 0 {
			t.Fatalf("backfill on the created table: exit %d\n%s", code, errOut)
		}
		if got := verdicts(t, out); len(got) != len(replayed) {
			t.Errorf("backfill on the created table: %d verdicts, want %d", len(got), len(replayed))
		}
	})
}

func normalize(s string) string {
	if len(s) == len("2006-01-02") {
		return s + "T00:00:00Z"
	}
	return s
}

// objectsOf maps every event ID of the trail under root to its file,
// reading each file once (a walk per event, under the race detector, made
// this test minutes long).
func objectsOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json.gz") {
			return err
		}
		b, err := gunzip(path)
		if err != nil {
			return err
		}
		var doc struct {
			Records []struct {
				EventID string `json:"eventID"`
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, r := range doc.Records {
			out[r.EventID] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
