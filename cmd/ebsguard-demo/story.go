package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The demo's story, for a security engineer: what ebsguard is for above all
// is the silent fall-back to a default key. The run leads with it, caught at
// once, then caught on a re-check once a copy is visible, and the summary
// says where each was caught.
var leadSamples = []string{"launch-encrypted-shared", "copy-pending-fallback"}

// leadWith puts the lead samples first, in that order, and keeps the order
// of the others.
func leadWith(samples []localrun.Sample, lead []string) []localrun.Sample {
	out := make([]localrun.Sample, 0, len(samples))
	for _, name := range lead {
		for _, s := range samples {
			if s.Name == name {
				out = append(out, s)
			}
		}
	}
	for _, s := range samples {
		if !slices.Contains(lead, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// restamp dates an event's call at now, as if it had just been made: the
// demo plays events as they arrive. A result not visible yet is then
// pending, as in a live account, instead of gone, as it is judged for a call
// made long ago (the samples' calls are days old). An EventBridge event, a
// bare record or a {"Records": [...]} file; anything else is left as it is.
func restamp(event []byte, now time.Time) []byte {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) != nil {
		return event
	}
	stamp := now.UTC().Format(time.RFC3339)
	setTime := func(rec any) {
		if r, ok := rec.(map[string]any); ok {
			if _, has := r["eventTime"]; has {
				r["eventTime"] = stamp
			}
		}
	}
	switch {
	case v["detail"] != nil:
		if _, has := v["time"]; has {
			v["time"] = stamp
		}
		setTime(v["detail"])
	case v["Records"] != nil:
		recs, _ := v["Records"].([]any)
		for _, r := range recs {
			setTime(r)
		}
	default:
		setTime(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return event
	}
	return b
}

// caught is where a finding code was first reported for one sample: at
// once, or on which re-check.
type caught struct {
	sample  string
	recheck int           // 0: at once
	after   time.Duration // for a re-check
}

// fallbacks lists where DEFAULT_KEY_FALLBACK was first reported, sample by
// sample, in the order of the run.
func fallbacks(results []localrun.Result) []caught {
	var out []caught
	for _, r := range results {
		if c, ok := firstReport(r, rules.DefaultKeyFallback); ok {
			out = append(out, c)
		}
	}
	return out
}

func firstReport(r localrun.Result, code string) (caught, bool) {
	fromRecheck := map[string]localrun.Recheck{}
	for _, rc := range r.Rechecks {
		for _, n := range rc.Notifications {
			fromRecheck[n.MessageID] = rc
		}
	}
	for _, n := range r.Notifications {
		var v verify.Verdict
		if json.Unmarshal([]byte(n.Message), &v) != nil || !slices.Contains(v.Codes(), code) {
			continue
		}
		if rc, ok := fromRecheck[n.MessageID]; ok {
			return caught{sample: r.Sample, recheck: rc.Attempt, after: rc.After}, true
		}
		return caught{sample: r.Sample}, true
	}
	return caught{}, false
}

// writeStory says in the summary where the fall-back was caught.
func writeStory(out io.Writer, results []localrun.Result) {
	var atOnce, later []caught
	for _, c := range fallbacks(results) {
		if c.recheck == 0 {
			atOnce = append(atOnce, c)
		} else {
			later = append(later, c)
		}
	}
	if len(atOnce)+len(later) == 0 {
		return
	}
	fmt.Fprintf(out, "The silent fall-back to a default key (%s): ", rules.DefaultKeyFallback)
	if len(atOnce) > 0 {
		fmt.Fprintf(out, "%s caught at once (first: %s)", count(len(atOnce), "event"), atOnce[0].sample)
	}
	if len(later) > 0 {
		if len(atOnce) > 0 {
			fmt.Fprint(out, ", ")
		}
		fmt.Fprintf(out, "%s caught on a re-check once the result was visible (first: %s, re-check #%d, %s after arrival)",
			count(len(later), "event"), later[0].sample, later[0].recheck, later[0].after.Round(100*time.Millisecond))
	}
	fmt.Fprintln(out, ".")
}
