package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/recheck"
)

// Break 7: a dead letter leads somewhere. A re-check message (a file, or
// stdin as `aws sqs receive-message` prints it) is replayed like the event
// it carries: same verdict, same event ID.
func TestReplayDeadLetters(t *testing.T) {
	event, err := os.ReadFile(eventPath)
	if err != nil {
		t.Fatal(err)
	}
	wantCode, want, _ := replayRun(t, "", replayArgs(eventPath)...)
	if !strings.Contains(want, `"status":"violation"`) {
		t.Fatalf("the sample's own verdict: %s", want)
	}
	body, err := recheck.Message{Record: event, Attempt: 4, FirstSeen: time.Now(), Account: "222222222222"}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	msg := filepath.Join(dir, "message.json")
	writeFile(t, msg, []byte(body))
	received, _ := json.Marshal(map[string]any{"Messages": []map[string]string{{"MessageId": "m-1", "ReceiptHandle": "h", "Body": body}}})

	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"message file", "", replayArgs(msg)},
		{"receive-message on stdin", string(received), replayArgs("-")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := replayRun(t, tc.stdin, tc.args...)
			if code != wantCode || out != want {
				t.Errorf("exit %d, stdout\n%s\nstderr %s\nwant exit %d and\n%s", code, out, errOut, wantCode, want)
			}
		})
	}
}
