package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// A record judged after a settings change in the same input uses the
// settings of its time, whichever file, and whatever order, the change comes
// in (replay reads its input once and judges no record before the read is
// over); without the change it is judged against today's settings.
func TestReplaySettingsAcrossFiles(t *testing.T) {
	sample, records := asofSample(t)
	dir := t.TempDir()
	volume, changes := filepath.Join(dir, "a-volume.json"), filepath.Join(dir, "b-changes.jsonl")
	writeFile(t, volume, records[2])
	writeFile(t, changes, []byte(string(records[0])+"\n"+string(records[1])+"\n"))
	world := filepath.Join(sample, "world.json")

	volumeVerdict := func(out string) verify.Verdict {
		t.Helper()
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var v verify.Verdict
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("not a verdict: %s", l)
			}
			if v.EventName == "CreateVolume" {
				return v
			}
		}
		t.Fatalf("no CreateVolume verdict in\n%s", out)
		return verify.Verdict{}
	}
	_, out, stderr := replayRun(t, "", "replay", "--world", world, "--format", "json", volume, changes)
	if v := volumeVerdict(out); v.Status != verify.StatusCompliant {
		t.Errorf("with the changes in a later file: %s %+v; want compliant, judged on the DEF of its time (stderr %s)", v.Status, v.Resources, stderr)
	}
	_, out, _ = replayRun(t, "", "replay", "--world", world, "--format", "json", volume)
	if v := volumeVerdict(out); v.Status != verify.StatusViolation {
		t.Errorf("without the changes: %s; want a violation against today's DEF", v.Status)
	}
	// Standard input too, read once like any input.
	_, out, _ = replayRun(t, string(records[2])+"\n"+string(records[0])+"\n"+string(records[1])+"\n", "replay", "--world", world, "--format", "json", "-")
	if v := volumeVerdict(out); v.Status != verify.StatusCompliant {
		t.Errorf("on standard input: %s; want compliant", v.Status)
	}
}
