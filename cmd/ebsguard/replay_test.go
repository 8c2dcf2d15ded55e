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
)

const worldPath = "../../events/samples/launch-encrypted-shared/world.json"

func replayArgs(extra ...string) []string {
	return append([]string{"replay", "--world", worldPath, "--format", "json"}, extra...)
}

func TestReplayExitCodes(t *testing.T) {
	ev := "../../events/samples/launch-encrypted-shared/event.json"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"evaluated", replayArgs(ev), 0},
		{"flags after paths", []string{"replay", ev, "--world", worldPath, "--format", "json"}, 0},
		{"no command", nil, 2},
		{"unknown command", []string{"audit"}, 2},
		{"no input", replayArgs(), 2},
		{"bad format", []string{"replay", "--format", "yaml", ev}, 2},
		{"unknown flag", []string{"replay", "--wrold", worldPath, ev}, 2},
		{"missing input", replayArgs("does-not-exist.json"), 1},
		{"missing world", []string{"replay", "--world", "nope.json", ev}, 1},
		{"error verdict", replayArgs("../../events/samples/copy-key-without-encrypted/event.json"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut); got != tt.want {
				t.Errorf("exit %d; want %d (stderr %s)", got, tt.want, errOut.String())
			}
			if tt.want == 2 && !strings.Contains(errOut.String(), "usage:") {
				t.Errorf("usage error without usage text: %s", errOut.String())
			}
		})
	}
}

// A folder laid out like a CloudTrail S3 prefix, with gzip log files, JSON
// lines and a digest folder, read recursively in order; many records keep
// their input order through the parallel workers.
func TestReplayFolderOrder(t *testing.T) {
	event, err := os.ReadFile("../../events/samples/launch-encrypted-shared/event.json")
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Detail map[string]any }
	json.Unmarshal(event, &env)
	record := func(i int) string {
		env.Detail["eventID"] = fmt.Sprintf("id-%04d", i)
		b, _ := json.Marshal(env.Detail)
		return string(b)
	}
	dir := t.TempDir()
	day := filepath.Join(dir, "AWSLogs", "222222222222", "CloudTrail", "us-east-1", "2026", "11", "20")
	os.MkdirAll(day, 0o755)
	os.MkdirAll(filepath.Join(dir, "AWSLogs", "222222222222", "CloudTrail-Digest"), 0o755)
	os.WriteFile(filepath.Join(dir, "AWSLogs", "222222222222", "CloudTrail-Digest", "d.json.gz"), []byte("not a record"), 0o644)
	n := 0
	for f := 0; f < 3; f++ {
		var recs []string
		for i := 0; i < 100; i++ {
			recs = append(recs, record(n))
			n++
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(recs, ","))
		zw.Close()
		os.WriteFile(filepath.Join(day, fmt.Sprintf("222222222222_CloudTrail_us-east-1_20261120T10%02dZ_x.json.gz", f)), buf.Bytes(), 0o644)
	}
	os.WriteFile(filepath.Join(day, "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(day, "zz.jsonl"), []byte(record(n)+"\n"+record(n+1)+"\n"), 0o644)
	n += 2

	var out, errOut bytes.Buffer
	if code := run(context.Background(), replayArgs(dir), nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != n {
		t.Fatalf("%d verdicts; want %d", len(lines), n)
	}
	for i, l := range lines {
		var v struct{ EventID, Status string }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("id-%04d", i); v.EventID != want || v.Status != "violation" {
			t.Fatalf("verdict %d = %s %s; want %s violation", i, v.EventID, v.Status, want)
		}
	}
}

func TestReplayStdinText(t *testing.T) {
	event, _ := os.ReadFile("../../events/samples/launch-encrypted-shared/event.json")
	var out, errOut bytes.Buffer
	in := string(event) + "\n{broken\n"
	code := run(context.Background(), []string{"replay", "--world", worldPath, "--format", "text", "-"}, strings.NewReader(in), &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d; want 1 (a malformed record is an error verdict)", code)
	}
	for _, want := range []string{"violation", "DEFAULT_KEY_FALLBACK", "malformed input", "2 records: 0 compliant 1 violation 0 pending 0 skipped 1 error"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}
