package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localrun"
)

// The demo plays every event as if its call had just been made, whatever
// form it comes in, and leaves alone what it cannot read.
func TestRestamp(t *testing.T) {
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	const stamp = "2026-12-06T17:00:00Z"
	tests := []struct {
		name, in string
		times    []string // paths to the times that must be now, as dotted keys
	}{
		{"an EventBridge event", `{"time":"2026-11-20T10:04:11Z","detail":{"eventTime":"2026-11-20T10:04:11Z","requestParameters":{"maxCount":2}}}`, []string{"time", "detail.eventTime"}},
		{"a bare record", `{"eventTime":"2026-11-20T10:04:11Z","eventName":"CreateVolume"}`, []string{"eventTime"}},
		{"a log file", `{"Records":[{"eventTime":"2026-11-20T10:04:11Z"},{"eventTime":"2026-11-21T10:04:11Z"}]}`, []string{"Records.0.eventTime", "Records.1.eventTime"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal(restamp([]byte(tt.in), now), &v); err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.times {
				if got := at(v, p); got != stamp {
					t.Errorf("%s = %v; want %s", p, got, stamp)
				}
			}
			if strings.Contains(tt.in, "maxCount") && at(v, "detail.requestParameters.maxCount") != json.Number("2") && at(v, "detail.requestParameters.maxCount") != float64(2) {
				t.Errorf("the request changed: %v", v)
			}
		})
	}
	for _, in := range []string{"not json", `[1,2]`, ""} {
		if got := string(restamp([]byte(in), now)); got != in {
			t.Errorf("restamp(%q) = %q; want it unchanged", in, got)
		}
	}
}

func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := int(k[0] - '0')
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// The story's samples come first, in the story's order; the others keep
// theirs; a lead sample that is not there is no error.
func TestLeadWith(t *testing.T) {
	var in []localrun.Sample
	for _, n := range []string{"a", "copy-pending-fallback", "b", "launch-encrypted-shared", "c"} {
		in = append(in, localrun.Sample{Name: n})
	}
	var got []string
	for _, s := range leadWith(in, append(leadSamples, "not-there")) {
		got = append(got, s.Name)
	}
	if want := "launch-encrypted-shared copy-pending-fallback a b c"; strings.Join(got, " ") != want {
		t.Errorf("order %v; want %s", got, want)
	}
}

// The summary says where the fall-back was caught: at once, or on which
// re-check; nothing when it never was.
func TestWriteStory(t *testing.T) {
	fallback := `{"status":"violation","findings":[{"code":"DEFAULT_KEY_FALLBACK"}]}`
	other := `{"status":"violation","findings":[{"code":"UNENCRYPTED"}]}`
	results := []localrun.Result{
		{Sample: "plain", Notifications: []localrun.Notification{{MessageID: "1", Message: other}}},
		{Sample: "now", Notifications: []localrun.Notification{{MessageID: "2", Message: fallback}}},
		{Sample: "later", Notifications: []localrun.Notification{{MessageID: "3", Message: fallback}},
			Rechecks: []localrun.Recheck{{Attempt: 2, After: 2 * time.Second, Notifications: []localrun.Notification{{MessageID: "3"}}}}},
	}
	var b strings.Builder
	writeStory(&b, results)
	if want := "(DEFAULT_KEY_FALLBACK): 1 event caught at once (first: now), 1 event caught on a re-check once the result was visible (first: later, re-check #2, 2s after arrival).\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("story %q; want it to end %q", b.String(), want)
	}
	b.Reset()
	writeStory(&b, results[:1])
	if b.String() != "" {
		t.Errorf("story without a fall-back: %q", b.String())
	}
}
