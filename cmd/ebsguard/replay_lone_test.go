package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file named directly inside a sample folder is evaluated against that
// folder's world and policy, as the folder would be: the same verdicts.
func TestReplayLoneSampleFile(t *testing.T) {
	for _, sample := range []string{"launch-encrypted-shared", "launch-disallowed-key"} {
		t.Run(sample, func(t *testing.T) {
			dir := filepath.Join(samplesDir, sample)
			wantCode, want, _ := replayRun(t, "", "replay", "--format", "json", dir)
			code, got, stderr := replayRun(t, "", "replay", "--format", "json", filepath.Join(dir, "event.json"))
			if code != wantCode || got != want || want == "" {
				t.Errorf("replay %s/event.json: exit %d\n%s\nwant the folder's exit %d\n%s\n(stderr %s)", dir, code, got, wantCode, want, stderr)
			}
		})
	}
}

// An input outside any sample folder, with no --world and no credentials,
// fails with one line saying what to set, however many files it has.
func TestReplayWithoutCredentials(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}
	b, err := os.ReadFile(eventPath)
	if err != nil {
		t.Fatal(err)
	}
	trail := t.TempDir()
	writeFile(t, filepath.Join(trail, "a.json"), b)
	writeFile(t, filepath.Join(trail, "b.json"), b)
	code, stdout, stderr := replayRun(t, "", "replay", "--format", "json", trail)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || stdout != "" || len(lines) != 1 || !strings.Contains(stderr, "no AWS credentials") || !strings.Contains(stderr, "set AWS_PROFILE") || !strings.Contains(stderr, "--world") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}
