package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// evaluatedAt is the time a verdict's warning gives for a launch template's
// $Latest or $Default: when it was evaluated, which differs between runs.
var evaluatedAt = regexp.MustCompile(`names at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z`)

func sameVerdicts(t *testing.T, what, got, want string, principals bool) {
	t.Helper()
	g, w := verdictLines(t, evaluatedAt.ReplaceAllString(got, "names at T")), verdictLines(t, evaluatedAt.ReplaceAllString(want, "names at T"))
	if len(g) != len(w) || len(w) == 0 {
		t.Errorf("%s: %d verdicts; want %d", what, len(g), len(w))
	}
	principal := regexp.MustCompile(`"principal":"[^"]*"`)
	for id, line := range w {
		other := g[id]
		if !principals {
			line, other = principal.ReplaceAllString(line, ""), principal.ReplaceAllString(other, "")
		}
		if other != line {
			t.Errorf("%s: event %s:\n%s\nwant\n%s", what, id, other, line)
		}
	}
}

// A capture through localaws, of an audit's records and of files, gives a
// world and records that replay alone turns into the live verdicts; redacted,
// the same but for the principals, which are gone from the files.
func TestCaptureThroughLocalAWS(t *testing.T) {
	skipLong(t)
	w, _ := auditWorld(t, false)
	startLocal(t, w)
	dir := t.TempDir()
	worldFile, records := filepath.Join(dir, "world.json"), filepath.Join(dir, "records.jsonl")
	selection := []string{"--since", "2026-01-01", "--accounts", "222222222222,333333333333", "--regions", "us-east-1,eu-west-1"}

	code, stdout, stderr := cli(t, append([]string{"world", "capture", "--out", worldFile, "--records", records, "--audit"}, selection...)...)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "every verdict is reproduced by: ebsguard replay --world "+worldFile+" "+records) {
		t.Fatalf("capture: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	_, live, _ := cli(t, "replay", "--format", "json", records)
	_, offline, _ := cli(t, "replay", "--format", "json", "--world", worldFile, records)
	sameVerdicts(t, "audit capture", offline, live, true)

	t.Run("of files", func(t *testing.T) {
		again := filepath.Join(dir, "again.json")
		code, stdout, stderr := cli(t, "world", "capture", "--out", again, records)
		if code != 0 || stdout != "" {
			t.Fatalf("capture: exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		_, offline, _ := cli(t, "replay", "--format", "json", "--world", again, records)
		sameVerdicts(t, "file capture", offline, live, true)
	})
	t.Run("redacted", func(t *testing.T) {
		rw, rr := filepath.Join(dir, "redacted-world.json"), filepath.Join(dir, "redacted.jsonl")
		code, _, stderr := cli(t, append([]string{"world", "capture", "--redact", "--out", rw, "--records", rr, "--audit"}, selection...)...)
		if code != 0 {
			t.Fatalf("capture: exit %d, stderr %s", code, stderr)
		}
		for _, f := range []string{rw, rr} {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), "assumed-role/ci/build") || strings.Contains(string(b), "198.51.100.7") {
				t.Errorf("%s still names the principal or its address", filepath.Base(f))
			}
		}
		_, offline, _ := cli(t, "replay", "--format", "json", "--world", rw, rr)
		sameVerdicts(t, "redacted capture", offline, live, false)
	})
	t.Run("a window with nothing in it", func(t *testing.T) {
		empty, emptyRecords := filepath.Join(dir, "empty.json"), filepath.Join(dir, "empty.jsonl")
		code, stdout, stderr := cli(t, "world", "capture", "--out", empty, "--records", emptyRecords, "--audit",
			"--since", "2020-01-01", "--until", "2020-01-02", "--accounts", "222222222222", "--regions", "us-east-1")
		if code != 1 || stdout != "" || !strings.Contains(stderr, "nothing captured, nothing written: read event history of 1 account (1 Region read) from 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z: 0 events of ") {
			t.Errorf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		for _, f := range []string{empty, emptyRecords} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%s written for an empty capture", filepath.Base(f))
			}
		}
	})
	t.Run("to standard output", func(t *testing.T) {
		code, stdout, _ := cli(t, "world", "capture", records)
		if code != 0 || !strings.HasPrefix(stdout, "{\n  \"accounts\": {") {
			t.Errorf("exit %d, stdout %.80q", code, stdout)
		}
	})
}

func TestParseCapture(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"files", []string{"--out", "w.json", "trail/"}, ""},
		{"audit", []string{"--audit", "--records", "r.jsonl", "--accounts", "all", "--regions", "all"}, ""},
		{"no input", []string{"--out", "w.json"}, "no input"},
		{"audit without records", []string{"--audit"}, "--audit needs --records"},
		{"audit and files", []string{"--audit", "--records", "r.jsonl", "trail/"}, "name no PATH"},
		{"a selection without --audit", []string{"--accounts", "all", "trail/"}, "--accounts selects event history"},
		{"one file for both", []string{"--out", "x", "--records", "x", "trail/"}, "same file"},
		{"bad account", []string{"--audit", "--records", "r", "--accounts", "12"}, "not a 12-digit account ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCapture(tt.args, now)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v; want %q", err, tt.wantErr)
			}
		})
	}
}
