package recheck

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// Break 7: a re-check message, or what `aws sqs receive-message` prints for
// the re-check dead-letter queue, is a record in an envelope: Unwrap gives
// the records back; any other input passes unchanged.
func TestUnwrap(t *testing.T) {
	record := `{"eventID":"e-1","eventName":"CopyImage"}`
	body, err := Message{Record: []byte(record), Attempt: 3, FirstSeen: time.Now(), Account: "222222222222"}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(map[string]any{"record": json.RawMessage(record), "attempt": 1, "firstSeen": "2026-11-20T10:05:00Z"})
	received, _ := json.Marshal(map[string]any{"Messages": []map[string]string{
		{"MessageId": "m-1", "Body": body}, {"MessageId": "m-2", "Body": `{"version":"0","detail":{"eventID":"e-2"}}`},
	}})
	for _, tc := range []struct{ name, in, want string }{
		{"re-check message", body, record + "\n"},
		{"uncompressed message", string(plain), record + "\n"},
		{"receive-message answer", "  " + string(received), record + "\n" + `{"version":"0","detail":{"eventID":"e-2"}}` + "\n"},
		{"an event", `{"version":"0","detail":{}}`, `{"version":"0","detail":{}}`},
		{"a log file", `{"Records":[]}`, `{"Records":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Unwrap(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			if string(got) != tc.want {
				t.Errorf("Unwrap = %q; want %q", got, tc.want)
			}
		})
	}
	if _, err := Unwrap(strings.NewReader(`{"record":{"x":1},"attempt":0}`)); err == nil {
		t.Error("a message without attempt or firstSeen was accepted")
	}
}
