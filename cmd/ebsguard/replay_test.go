package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	samplesDir = "../../events/samples"
	worldPath  = samplesDir + "/launch-encrypted-shared/world.json"
	eventPath  = samplesDir + "/launch-encrypted-shared/event.json"
)

func replayArgs(extra ...string) []string {
	return append([]string{"replay", "--world", worldPath, "--format", "json"}, extra...)
}

// replayRun runs the command and returns its exit status, stdout and stderr.
func replayRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// sampleRecord returns the CloudTrail record of launch-encrypted-shared, with
// changes applied, on one line.
func sampleRecord(t *testing.T, change func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(eventPath)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Detail map[string]any }
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(env.Detail)
	}
	out, err := json.Marshal(env.Detail)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// noise is a record of an event out of scope.
func noise(i int) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","eventID":"noise-%04d","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/app/x","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"instancesSet":{}},"responseElements":null,"readOnly":true}`, i)
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReplayExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "empty.json"), nil)
	writeFile(t, filepath.Join(dir, "spaces.json"), []byte(" \n\n"))
	writeFile(t, filepath.Join(dir, "empty.json.gz"), gzipped(t, ""))
	writeFile(t, filepath.Join(dir, "no-trail", "notes.txt"), []byte("not a trail"))
	writeFile(t, filepath.Join(dir, "no-trail", "README.md"), []byte("# not a trail"))
	writeFile(t, filepath.Join(dir, "noise.json"), []byte(noise(1)))
	os.MkdirAll(filepath.Join(dir, "empty-folder"), 0o755)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		want   int
		stderr string
	}{
		{"evaluated", replayArgs(eventPath), "", 0, ""},
		{"flags after paths", []string{"replay", eventPath, "--world", worldPath, "--format", "json"}, "", 0, ""},
		{"--all", replayArgs("--all", eventPath), "", 0, ""},
		{"only records out of scope", replayArgs(filepath.Join(dir, "noise.json")), "", 0, ""},
		{"no command", nil, "", 2, "usage:"},
		{"unknown command", []string{"inspect"}, "", 2, "usage:"},
		{"no input", replayArgs(), "", 2, "usage:"},
		{"bad format", []string{"replay", "--format", "yaml", eventPath}, "", 2, "usage:"},
		{"unknown flag", []string{"replay", "--wrold", worldPath, eventPath}, "", 2, "usage:"},
		{"missing input", replayArgs("does-not-exist.json"), "", 1, "does-not-exist.json"},
		{"missing world", []string{"replay", "--world", "nope.json", eventPath}, "", 1, "nope.json"},
		{"missing policy", replayArgs("--policy", "nope.json", eventPath), "", 1, "nope.json"},
		{"error verdict", replayArgs(samplesDir + "/copy-key-without-encrypted/event.json"), "", 1, ""},
		{"empty file", replayArgs(filepath.Join(dir, "empty.json")), "", 1, "empty.json holds no records"},
		{"file of spaces", replayArgs(filepath.Join(dir, "spaces.json")), "", 1, "spaces.json holds no records"},
		{"empty gzip file", replayArgs(filepath.Join(dir, "empty.json.gz")), "", 1, "empty.json.gz holds no records"},
		{"empty folder", replayArgs(filepath.Join(dir, "empty-folder")), "", 1, "empty-folder holds no CloudTrail files"},
		{"folder without CloudTrail files", replayArgs(filepath.Join(dir, "no-trail")), "", 1, "no-trail holds no CloudTrail files"},
		{"one empty input among others", replayArgs(eventPath, filepath.Join(dir, "empty.json")), "", 1, "empty.json holds no records"},
		{"empty standard input", replayArgs("-"), "", 1, "no records on standard input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := replayRun(t, tt.stdin, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d; want %d (stderr %s)", code, tt.want, stderr)
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.stderr)
			}
			if tt.want == 0 && stderr != "" {
				t.Errorf("stderr %q on success", stderr)
			}
		})
	}
}

// A folder laid out like a CloudTrail S3 prefix, with gzip log files, JSON
// lines and a digest folder, read recursively in order: the records in
// scope keep their input order through the parallel readers and workers,
// the others are counted, and --all prints them all in order.
func TestReplayFolderOrder(t *testing.T) {
	dir := t.TempDir()
	account := filepath.Join(dir, "AWSLogs", "222222222222")
	day := filepath.Join(account, "CloudTrail", "us-east-1", "2026", "11", "20")
	writeFile(t, filepath.Join(account, "CloudTrail-Digest", "d.json.gz"), []byte("not a record"))
	var want, wantAll []string
	n := 0
	record := func() string {
		id := fmt.Sprintf("id-%04d", n)
		n++
		want = append(want, id)
		wantAll = append(wantAll, id)
		return sampleRecord(t, func(d map[string]any) { d["eventID"] = id })
	}
	other := func() string {
		r := noise(n)
		wantAll = append(wantAll, fmt.Sprintf("noise-%04d", n))
		n++
		return r
	}
	for f := range 6 {
		var recs []string
		for i := range 60 {
			if i%3 == f%3 {
				recs = append(recs, record())
			} else {
				recs = append(recs, other())
			}
		}
		writeFile(t, filepath.Join(day, fmt.Sprintf("222222222222_CloudTrail_us-east-1_20261120T10%02dZ_x.json.gz", f)),
			gzipped(t, `{"Records":[`+strings.Join(recs, ",")+`]}`))
	}
	writeFile(t, filepath.Join(day, "notes.txt"), []byte("ignored"))
	writeFile(t, filepath.Join(day, "zz.jsonl"), []byte(record()+"\n"+other()+"\n"+record()+"\n"))

	ids := func(out string) []string {
		var got []string
		for l := range strings.Lines(out) {
			var v struct{ EventID, Status string }
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v.EventID)
		}
		return got
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"in scope", replayArgs(dir), want},
		{"--all", replayArgs("--all", dir), wantAll},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := replayRun(t, "", tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := ids(out); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("verdicts for\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
	t.Run("summary", func(t *testing.T) {
		_, out, _ := replayRun(t, "", "replay", "--world", worldPath, "--format", "text", dir)
		line := fmt.Sprintf("%d records: 0 compliant, %d violation, 0 pending, 0 skipped, 0 error; %d out of scope, not shown (--all shows them)",
			len(wantAll), len(want), len(wantAll)-len(want))
		if !strings.Contains(out, line) || !strings.Contains(out, fmt.Sprintf("DEFAULT_KEY_FALLBACK   %d", len(want))) {
			t.Errorf("text output lacks %q:\n%s", line, out)
		}
	})
}

// By default replay prints the records in scope and every error; --all
// prints every record. The summary counts them all.
func TestReplayShowsWhatMatters(t *testing.T) {
	failed := sampleRecord(t, func(d map[string]any) { d["eventID"], d["errorCode"] = "dry", "Client.DryRunOperation" })
	other := `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"222222222222","detail":{"instance-id":"i-1"}}`
	in := strings.Join([]string{noise(1), sampleRecord(t, nil), other, "{broken", noise(2), failed}, "\n")
	tests := []struct {
		name    string
		args    []string
		want    string // statuses printed, in order
		summary string
	}{
		{"in scope and errors", []string{"--format", "text"}, "violation error skipped",
			"6 records: 0 compliant, 1 violation, 0 pending, 1 skipped, 1 error; 3 out of scope, not shown (--all shows them)"},
		{"--all", []string{"--format", "text", "--all"}, "skipped violation skipped error skipped skipped",
			"6 records: 0 compliant, 1 violation, 0 pending, 4 skipped, 1 error; 3 of them out of scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"replay", "--world", worldPath}, tt.args...), "-")
			code, out, _ := replayRun(t, in, args...)
			if code != 1 {
				t.Errorf("exit %d; want 1 for the malformed line", code)
			}
			var got []string
			for l := range strings.Lines(out) {
				if f := strings.Fields(l); len(f) > 0 && strings.Contains(" compliant violation pending skipped error ", " "+f[0]+" ") {
					got = append(got, f[0])
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("printed %q; want %q\n%s", strings.Join(got, " "), tt.want, out)
			}
			if !strings.Contains(out, tt.summary) {
				t.Errorf("summary lacks %q:\n%s", tt.summary, out)
			}
		})
	}
}

// The text table escapes what came from the record: a principal, event ID,
// time or device name cannot forge a line or reorder the text.
func TestReplayTextEscapes(t *testing.T) {
	rec := sampleRecord(t, func(d map[string]any) {
		d["eventID"] = "id\u202egnp.exe"
		d["eventTime"] = "2026-11-20T10:04:11Z\rACCOUNT"
		d["userIdentity"].(map[string]any)["arn"] = "arn:aws:sts::222222222222:assumed-role/ci/build\nAccount: 999999999999"
	})
	// An eventTime that is no timestamp makes the record an error (exit 1);
	// the table still shows it, escaped.
	code, out, stderr := replayRun(t, rec, "replay", "--world", worldPath, "--format", "text", "-")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, bad := range []string{"\u202e", "\r", "\nAccount:"} {
		if strings.Contains(out, bad) {
			t.Errorf("text output holds %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`id\u202egnp.exe`, `10:04:11Z\rACCOUNT`, "invalid eventTime", "\n1 record: 0 compliant, 0 violation"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// `ebsguard replay events/samples` evaluates every sample against its own
// world and policy: the same verdicts, in order, as replaying each sample
// with its files named by flags.
func TestReplaySampleFolders(t *testing.T) {
	dirs, _ := filepath.Glob(samplesDir + "/*/world.json")
	if len(dirs) < 20 {
		t.Fatalf("found %d samples", len(dirs))
	}
	var want strings.Builder
	for _, w := range dirs {
		_, out, _ := replayRun(t, "", sampleArgs(filepath.Dir(w))...)
		want.WriteString(out)
	}
	_, got, stderr := replayRun(t, "", "replay", "--format", "json", samplesDir)
	if got != want.String() {
		t.Errorf("replay %s printed\n%s\nwant\n%s\n(stderr %s)", samplesDir, got, want.String(), stderr)
	}
	// Hand-written: the policy sample raises DISALLOWED_KEY only under its
	// own policy.json.
	disallowed := samplesDir + "/launch-disallowed-key"
	_, own, _ := replayRun(t, "", "replay", "--format", "json", disallowed)
	if !strings.Contains(own, `"DISALLOWED_KEY"`) {
		t.Errorf("%s under its own policy: no DISALLOWED_KEY:\n%s", disallowed, own)
	}
	open := filepath.Join(t.TempDir(), "policy.json")
	writeFile(t, open, []byte(`{"requireEncryption": true}`))
	_, overridden, _ := replayRun(t, "", "replay", "--format", "json", "--policy", open, disallowed)
	// The other finding does not depend on the policy.
	if strings.Contains(overridden, `"DISALLOWED_KEY"`) || !strings.Contains(overridden, `"KEY_MISMATCH"`) {
		t.Errorf("%s under --policy %s: %s", disallowed, open, overridden)
	}
}

// A sample folder's other files are never inputs, and event-*.json are.
func TestReplaySampleFolderFiles(t *testing.T) {
	src := samplesDir + "/launch-encrypted-shared"
	dir := t.TempDir()
	for _, f := range []string{"event.json", "world.json", "want.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
	writeFile(t, filepath.Join(dir, "event-2.json"), []byte(sampleRecord(t, func(d map[string]any) { d["eventID"] = "second" })))
	writeFile(t, filepath.Join(dir, "expect.json"), []byte(`{"not":"an event"}`))
	writeFile(t, filepath.Join(dir, "README.md"), []byte("# not an event"))
	writeFile(t, filepath.Join(dir, "PROVENANCE.md"), []byte("not an event"))
	code, out, stderr := replayRun(t, "", "replay", "--format", "text", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	if !strings.Contains(out, "2 records: 0 compliant, 2 violation") || !strings.Contains(out, "second") {
		t.Errorf("want the two events, both violations:\n%s", out)
	}
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name                 string
		read, found, records int64
		walked               bool
		elapsed              time.Duration
		want                 string
	}{
		{"running", 3, 20, 150000, true, 2 * time.Second, "files 3/20  records 150,000  75,000/s"},
		{"still finding files", 0, 1200, 999, false, time.Second, "files 0/1,200+  records 999  999/s"},
		{"at the start", 0, 0, 0, false, 0, "files 0/0+  records 0  0/s"},
		{"millions", 1, 1, 1234567, true, time.Second, "files 1/1  records 1,234,567  1,234,567/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.read, tt.found, tt.walked, tt.records, tt.elapsed); got != tt.want {
				t.Errorf("progressLine = %q; want %q", got, tt.want)
			}
		})
	}
}

// Under a violation the table names who made the call, escaped.
func TestReplayTextEscapesPrincipal(t *testing.T) {
	rec := sampleRecord(t, func(d map[string]any) {
		d["userIdentity"].(map[string]any)["arn"] = "arn:aws:sts::222222222222:assumed-role/ci/build\nAccount: 999999999999\u202e"
	})
	code, out, stderr := replayRun(t, rec, "replay", "--world", worldPath, "--format", "text", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "\nAccount:") || strings.Contains(out, "\u202e") || !strings.Contains(out, `ci/build\nAccount: 999999999999\u202e`) {
		t.Errorf("the principal is not escaped:\n%s", out)
	}
}
