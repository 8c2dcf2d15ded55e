package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// nearLimit is a CreateVolume record of the sample asof-def-known padded to
// n bytes with a requestParameters member the rules do not read.
func nearLimit(t *testing.T, id string, n int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, "asof-def-known", "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var log struct{ Records []map[string]any }
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	rec := log.Records[2]
	rec["eventID"] = id
	rec["requestParameters"].(map[string]any)["padding"] = ""
	base, _ := json.Marshal(rec)
	pad := n - len(base)
	if pad < 0 {
		t.Fatalf("record of %d bytes already", len(base))
	}
	rec["requestParameters"].(map[string]any)["padding"] = strings.Repeat("x", pad)
	out, _ := json.Marshal(rec)
	if len(out) != n {
		t.Fatalf("made %d bytes; want %d", len(out), n)
	}
	return string(out)
}

// Every item the decoder returns, from every input this repository holds
// and from hostile ones (records near and over the decoder's 4 MB limit,
// units cut short, invalid UTF-8, NUL bytes, escapes, envelopes, members of
// every JSON type where a string or object is expected), comes back from
// the spill file as it went in (its error by its text), with and without
// the decoder's scope.
func TestSpoolRoundTripDecoded(t *testing.T) {
	var inputs [][]byte
	filepath.WalkDir("../../events", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonl") || strings.HasSuffix(p, ".gz")) {
			if b, err := os.ReadFile(p); err == nil {
				inputs = append(inputs, b)
			}
		}
		return nil
	})
	var all bytes.Buffer
	for _, b := range inputs {
		all.Write(b)
		all.WriteByte('\n')
	}
	near := nearLimit(t, "near-limit", cloudtrail.MaxRecordBytes-64)
	over := nearLimit(t, "over-limit", cloudtrail.MaxRecordBytes+64)
	hostile := strings.Join([]string{
		near,
		over,
		`{"eventID":"nul-\u0000-é","eventName":"CreateVolume","awsRegion":"us-east-1","requestParameters":{"a":"\ud800"},"responseElements":[]}`,
		"{\"eventID\":\"bad-utf8-\xff\xfe\",\"eventName\":\"CreateVolume\",\"requestParameters\":\"a string\",\"responseElements\":5}",
		`{"eventID":7,"eventName":["CreateVolume"],"eventTime":null,"userIdentity":{"arn":{"x":1}},"requestParameters":null,"responseElements":{}}`,
		`{"Records":[` + noise(1) + `,{"eventID":"in-log","eventName":"ModifyEbsDefaultKmsKeyId","eventTime":"2026-11-20T09:00:00Z","awsRegion":"us-east-1","recipientAccountId":"222222222222"}],"other":1}`,
		`{"other":1,"Records":[{"eventID":"records-not-first","eventName":"CreateVolume"}]}`,
		`[` + noise(2) + `,` + noise(3) + `]`,
		`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"222222222222","detail":{"eventID":"in-envelope","eventName":"CreateVolume"}}`,
		`{"version":"0","detail-type":"Something else","source":"aws.ec2","account":"222222222222","detail":{}}`,
		`{"eventID":"cut-short","eventName":"CreateVolume",`,
	}, "\n")
	inputs = append(inputs, all.Bytes(), []byte(hostile), gzipped(t, hostile), []byte(hostile[:len(hostile)/2]))

	engines := []*verify.Engine{verify.New(verify.Config{}), verify.New(verify.Config{})}
	spillAll(t)
	n := 0
	for i, in := range inputs {
		for _, scoped := range []bool{false, true} {
			d, err := cloudtrail.NewDecoder(bytes.NewReader(in))
			if err != nil {
				continue
			}
			if scoped {
				d.Scope(rules.EventNames())
			}
			var items []cloudtrail.Item
			sp := newSpool()
			for {
				it, ok := d.Next()
				if !ok {
					break
				}
				items = append(items, it)
				if err := sp.add(work{item: it, engine: engines[len(items)%2]}); err != nil {
					t.Fatal(err)
				}
			}
			k := 0
			for w := range sp.items(context.Background()) {
				want := items[k]
				if w.engine != engines[(k+1)%2] {
					t.Errorf("input %d item %d: another engine", i, k)
				}
				if (w.item.Err == nil) != (want.Err == nil) || want.Err != nil && w.item.Err.Error() != want.Err.Error() {
					t.Errorf("input %d item %d: error %v; want %v", i, k, w.item.Err, want.Err)
				}
				w.item.Err, want.Err = nil, nil
				if !reflect.DeepEqual(w.item, want) {
					t.Errorf("input %d item %d:\n%#v\nwant\n%#v", i, k, w.item, want)
				}
				k++
			}
			if sp.err != nil || k != len(items) {
				t.Errorf("input %d: read back %d items of %d: %v", i, k, len(items), sp.err)
			}
			sp.close()
			n += k
		}
	}
	t.Logf("%d items from %d inputs", n, len(inputs))
}

// Records near the decoder's 4 MB limit, and one over it, among settings
// changes listed after them: the same verdicts spilled or in memory, on
// standard input as from a file, every record judged on the DEF of its time.
func TestReplayNearLimitRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reads 25 MB")
	}
	_, records := asofSample(t)
	line := func(raw []byte) string { return compactLine(t, raw) }
	var lines []string
	for i, n := range []int{cloudtrail.MaxRecordBytes - 1, cloudtrail.MaxRecordBytes - 4096, spoolMemory - 1, spoolMemory + 1, 2000} {
		if n >= cloudtrail.MaxRecordBytes {
			continue
		}
		lines = append(lines, nearLimit(t, fmt.Sprintf("near-%d", i), n))
	}
	lines = append(lines, nearLimit(t, "over", cloudtrail.MaxRecordBytes+1))
	lines = append(lines, line(records[0]), line(records[1]))
	input := strings.Join(lines, "\n") + "\n"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.jsonl"), []byte(input))
	world := filepath.Join(samplesDir, "asof-def-known", "world.json")

	check := func(t *testing.T, r replayOutput) {
		t.Helper()
		var got []string
		for l := range strings.Lines(r.stdout) {
			var v verify.Verdict
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("not a verdict: %.200s", l)
			}
			got = append(got, v.EventID+":"+string(v.Status))
		}
		want := "near-0:compliant near-1:compliant near-2:compliant near-4:compliant over:error " +
			"00000021-0000-4000-8000-a50f00000101:compliant 00000021-0000-4000-8000-a50f00000102:compliant"
		if strings.Join(got, " ") != want || r.code != 1 {
			t.Errorf("exit %d, verdicts %v; want exit 1 and %s (stderr %s)", r.code, got, want, r.stderr)
		}
	}
	for _, from := range []string{"file", "standard input"} {
		t.Run(from, func(t *testing.T) {
			args := []string{"replay", "--world", world, "--format", "json", filepath.Join(dir, "in.jsonl")}
			if from != "file" {
				args[len(args)-1] = "-"
			}
			inMemory := replayFrom(args, strings.NewReader(input))
			check(t, inMemory)
			spoolDir := spillAll(t)
			spilled := replayFrom(args, strings.NewReader(input))
			check(t, spilled)
			noSpillFile(t, spoolDir)
			if spilled != inMemory {
				t.Errorf("spilled and in memory differ:\n%.300s\n%.300s", spilled.stdout, inMemory.stdout)
			}
		})
	}
}

// cancelWriter cancels its context once it has been written to n times.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel func()
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n--; w.n == 0 {
		w.cancel()
	}
	return w.buf.Write(p)
}

// An interruption while the verdicts are printed, after the read, ends
// replay with exit 1 and says so on stderr, as an interruption while
// reading does: the verdicts not printed are not dropped silently.
func TestReplayInterruptedWhileEvaluating(t *testing.T) {
	var lines strings.Builder
	const records = 2000
	for i := range records {
		lines.WriteString(sampleRecord(t, func(d map[string]any) { d["eventID"] = fmt.Sprintf("id-%04d", i) }) + "\n")
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &cancelWriter{n: 3, cancel: cancel}
			var errOut bytes.Buffer
			code := run(ctx, []string{"replay", "--world", worldPath, "--format", format, "-"}, strings.NewReader(lines.String()), out, &errOut)
			printed := strings.Count(out.buf.String(), "id-")
			if printed >= records {
				t.Skipf("every verdict printed before the interruption reached replay")
			}
			if code != 1 || !strings.Contains(errOut.String(), "interrupted") {
				t.Errorf("exit %d after %d verdicts of %d, stderr %q; want 1 and a word that replay was interrupted", code, printed, records, errOut.String())
			}
		})
	}
}

// When the spill file cannot be made (TMPDIR missing, read-only or full),
// replay prints no verdict, exits 1, and says where the file was to go and
// how to choose another folder.
func TestReplaySpillFails(t *testing.T) {
	var lines strings.Builder
	for i := range 50 {
		lines.WriteString(sampleRecord(t, func(d map[string]any) { d["eventID"] = fmt.Sprintf("id-%04d", i) }) + "\n")
	}
	mem, d := spoolMemory, spoolDir
	missing := filepath.Join(t.TempDir(), "missing")
	spoolMemory, spoolDir = 0, missing
	t.Cleanup(func() { spoolMemory, spoolDir = mem, d })
	r := replayFrom(replayArgs("-"), strings.NewReader(lines.String()))
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "TMPDIR") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, no verdict, the folder and TMPDIR named", r.code, r.stdout, r.stderr)
	}
}
