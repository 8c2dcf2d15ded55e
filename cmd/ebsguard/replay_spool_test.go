package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// spillAll makes every spool of the test spill from its first item, into a
// folder of the test's.
func spillAll(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mem, d := spoolMemory, spoolDir
	spoolMemory, spoolDir = 0, dir
	t.Cleanup(func() { spoolMemory, spoolDir = mem, d })
	return dir
}

// noSpillFile fails when a spill file is left in dir.
func noSpillFile(t *testing.T, dir string) {
	t.Helper()
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left in the spool folder: %v", left)
	}
}

// Every field of an item comes back from the spill file as it went in: a
// record with every field set (TestSpoolRoundTrip fails here when Record
// gains a field the spool does not keep), raw fields nil, empty and set,
// errors by their text, no record at all.
func TestSpoolRoundTrip(t *testing.T) {
	full := &cloudtrail.Record{}
	n := 0
	var fill func(v reflect.Value, path string)
	fill = func(v reflect.Value, path string) {
		switch {
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case v.Kind() == reflect.String:
			n++
			v.SetString(fmt.Sprintf("%s-%d-\x00é\n", path, n))
		case v.Type() == reflect.TypeOf(json.RawMessage(nil)):
			n++
			v.SetBytes([]byte(fmt.Sprintf(`{"%s": %d, "x": "<&>"}`, path, n)))
		default:
			t.Fatalf("Record%s is a %s: teach the spool (spool.go, recordStrings and encodeItem) to keep it", path, v.Type())
		}
	}
	fill(reflect.ValueOf(full).Elem(), "")
	// The items below set every field of an Item; one it gains would go
	// through the spool unset, and be lost unseen.
	var fields []string
	for f := range reflect.TypeFor[cloudtrail.Item]().Fields() {
		fields = append(fields, f.Name)
	}
	if want := []string{"Record", "Err", "Skip", "EnvelopeAccount"}; !slices.Equal(fields, want) {
		t.Fatalf("cloudtrail.Item's fields are %v, not %v: teach the spool (encodeItem, decodeItem) and this test the new ones", fields, want)
	}
	emptyRaw := &cloudtrail.Record{EventName: "RunInstances", RequestParameters: json.RawMessage{}, ResponseElements: json.RawMessage("null")}
	items := []cloudtrail.Item{
		{Record: full},
		{Record: full, EnvelopeAccount: "111111111111"},
		{Record: emptyRaw},
		{Record: &cloudtrail.Record{}},
		{Err: errors.New("malformed input at byte 12: expected ','")},
		{Record: &cloudtrail.Record{EventID: "partial", EventName: "ModifyEbsDefaultKmsKeyId"}, Err: fmt.Errorf("f.json: %w", errors.New("malformed record: x"))},
		{Record: &cloudtrail.Record{RecipientAccountID: "1", AWSRegion: "r", EventTime: "t"}, Skip: "unsupported:detail-type:Other"},
		{},
	}
	engines := []*verify.Engine{verify.New(verify.Config{}), verify.New(verify.Config{})}
	roundTrip := func(t *testing.T, spills bool) {
		sp := newSpool()
		defer sp.close()
		for i, it := range items {
			if err := sp.add(work{item: it, engine: engines[i%2]}); err != nil {
				t.Fatal(err)
			}
		}
		if (sp.file != nil) != spills {
			t.Fatalf("spilled: %v; want %v", sp.file != nil, spills)
		}
		i := 0
		for w := range sp.items(context.Background()) {
			want := items[i]
			if w.engine != engines[i%2] {
				t.Errorf("item %d: another engine", i)
			}
			if (w.item.Err == nil) != (want.Err == nil) || want.Err != nil && w.item.Err.Error() != want.Err.Error() {
				t.Errorf("item %d: error %v; want %v", i, w.item.Err, want.Err)
			}
			w.item.Err, want.Err = nil, nil
			if !reflect.DeepEqual(w.item, want) {
				t.Errorf("item %d:\n%#v\nwant\n%#v", i, w.item, want)
			}
			i++
		}
		if sp.err != nil || i != len(items) {
			t.Errorf("read back %d items of %d: %v", i, len(items), sp.err)
		}
	}
	t.Run("in memory", func(t *testing.T) { roundTrip(t, false) })
	t.Run("spilled", func(t *testing.T) {
		spillAll(t)
		roundTrip(t, true)
	})
}

// replayOutput is what one run of replay gives.
type replayOutput struct {
	code           int
	stdout, stderr string
}

func replayFrom(args []string, stdin io.Reader) replayOutput {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdin, &out, &errOut)
	return replayOutput{code, out.String(), errOut.String()}
}

// The verdicts are the same whether the spool holds its items in memory or
// spills them to a file: over every sample, each against its own world, and
// over an input that mixes records of every sort (settings changes after the
// record they concern, unreadable records, EventBridge events, other
// events), with and without --all, from files and standard input.
func TestReplaySpillsAlike(t *testing.T) {
	sample, records := asofSample(t)
	compact := func(raw []byte) string { return compactLine(t, raw) }
	volume, change1, change2 := compact(records[2]), compact(records[0]), compact(records[1])
	event, err := os.ReadFile(eventPath) // an EventBridge event
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mixed := strings.Join([]string{
		volume,
		noise(1),
		`{"eventID":"broken-1","eventName":"CreateVolume",`, // cut short: a syntax error
		`{"eventID":"typed-1","eventName":"CreateVolume","userIdentity":"not an object","awsRegion":"us-east-1"}`,
		`{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"222222222222","time":"2026-11-20T10:00:00Z","region":"us-east-1","detail":{}}`,
		compact(event),
		strings.Replace(compact(event), `"account":"`, `"account":"9`, 1), // the record's account contradicts it
		`{"neither":"an event nor a record"}`,
		strings.Replace(volume, `"eventID":"`, `"eventID":"again-`, 1),
		noise(2),
	}, "\n") + "\n"
	writeFile(t, filepath.Join(dir, "a-records.jsonl"), []byte(mixed))
	writeFile(t, filepath.Join(dir, "b-changes.json.gz"), gzipped(t, `{"Records":[`+change1+","+noise(3)+","+change2+`]}`))
	world := filepath.Join(sample, "world.json")

	runs := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"samples", []string{"replay", "--format", "json", samplesDir}, ""},
		{"mixed", []string{"replay", "--world", world, "--format", "json", dir}, ""},
		{"mixed --all", []string{"replay", "--world", world, "--format", "json", "--all", dir}, ""},
		{"mixed text", []string{"replay", "--world", world, "--format", "text", "--all", dir}, ""},
		{"mixed on standard input", []string{"replay", "--world", world, "--format", "json", "--all", "-", filepath.Join(dir, "b-changes.json.gz")}, mixed},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			files := spillFiles.Load()
			inMemory := replayFrom(r.args, strings.NewReader(r.stdin))
			if spillFiles.Load() != files {
				t.Fatal("spilled with the default bound")
			}
			spoolDir := spillAll(t)
			before := spillFiles.Load()
			spilled := replayFrom(r.args, strings.NewReader(r.stdin))
			if spillFiles.Load() == before {
				t.Fatal("nothing spilled")
			}
			noSpillFile(t, spoolDir)
			if spilled != inMemory {
				t.Errorf("spilled: exit %d\n%s\nstderr %s\nin memory: exit %d\n%s\nstderr %s",
					spilled.code, spilled.stdout, spilled.stderr, inMemory.code, inMemory.stdout, inMemory.stderr)
			}
			if !strings.HasPrefix(r.name, "mixed") {
				return
			}
			if r.name != "mixed text" {
				statuses := map[string]string{}
				for l := range strings.Lines(spilled.stdout) {
					var v verify.Verdict
					if err := json.Unmarshal([]byte(l), &v); err != nil {
						t.Fatalf("not a verdict: %s", l)
					}
					statuses[v.EventID+" "+v.EventName] += string(v.Status) + " "
				}
				volumeID := string(records[2])[strings.Index(string(records[2]), `"eventID": "`)+len(`"eventID": "`):]
				volumeID = volumeID[:strings.Index(volumeID, `"`)]
				for _, want := range []string{volumeID + " CreateVolume", "again-" + volumeID + " CreateVolume"} {
					if statuses[want] != "compliant " {
						t.Errorf("%s: %q; want compliant, judged on the DEF of its time, set by a change read after it (%v)", want, statuses[want], statuses)
					}
				}
				if !strings.Contains(spilled.stdout, `of the EventBridge event it arrived in`) {
					t.Error("no error for the event whose envelope names another account")
				}
				if statuses["typed-1 CreateVolume"] != "error " {
					t.Errorf("typed-1: %q; want error", statuses["typed-1 CreateVolume"])
				}
			}
			if spilled.code != 1 || !strings.Contains(spilled.stdout, "malformed input at byte") {
				t.Errorf("want the unreadable records as errors, exit 1: exit %d\n%s", spilled.code, spilled.stdout)
			}
		})
	}
}

// Each sample folder has its own settings history: a change in one sample
// does not apply to the records of another, in the same account and Region.
func TestReplaySettingsPerSample(t *testing.T) {
	src, records := asofSample(t)
	world, err := os.ReadFile(filepath.Join(src, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// "a-without" is read first: its record, without a change of its own,
	// is judged against today's DEF even though "b-with" changes it.
	writeFile(t, filepath.Join(dir, "a-without", "world.json"), world)
	writeFile(t, filepath.Join(dir, "a-without", "event.json"), records[2])
	writeFile(t, filepath.Join(dir, "b-with", "world.json"), world)
	whole, err := os.ReadFile(filepath.Join(src, "event.json")) // the changes, then the record
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "b-with", "event.json"), whole)
	_, out, stderr := replayRun(t, "", "replay", "--format", "json", dir)
	var got []string
	for l := range strings.Lines(out) {
		var v verify.Verdict
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not a verdict: %s", l)
		}
		if v.EventName == "CreateVolume" {
			got = append(got, string(v.Status))
		}
	}
	if strings.Join(got, " ") != "violation compliant" {
		t.Errorf("CreateVolume verdicts %v; want violation (no change in its sample) then compliant (stderr %s)", got, stderr)
	}
}

// generated is an input of n bytes made on the fly, allocating nothing as
// it goes: head, then a block of noise records, one a line, over and over,
// then tail.
type generated struct {
	head, tail string
	n          int64
	block      []byte
	pending    []byte
	made       int64
	tailDone   bool
}

func newGenerated(head, tail string, n int64) *generated {
	var b bytes.Buffer
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString(noise(i) + "\n")
	}
	return &generated{head: head, tail: tail, n: n, block: b.Bytes()}
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		switch {
		case g.head != "":
			g.pending, g.head = []byte(g.head+"\n"), ""
		case g.made < g.n:
			g.pending = g.block
		case !g.tailDone:
			g.pending, g.tailDone = []byte(g.tail+"\n"), true
		default:
			return 0, io.EOF
		}
	}
	k := copy(p, g.pending)
	g.pending = g.pending[k:]
	g.made += int64(k)
	return k, nil
}

// Standard input is read once and not held in memory: a 200 MB input, whose
// settings change comes at its end, is judged with it, and replay's heap
// stays far below the input's size all along (reading it whole, as a
// pre-pass did, holds all of it).
func TestReplayStdinNotHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reads 200 MB")
	}
	sample, records := asofSample(t)
	line := func(raw []byte) string { return compactLine(t, raw) }
	const size = 200 << 20
	in := newGenerated(line(records[2]), line(records[0])+"\n"+line(records[1]), size)

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		defer close(sampled)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"replay", "--world", filepath.Join(sample, "world.json"), "--format", "json", "-"}, in, &out, &errOut)
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if in.made < size {
		t.Fatalf("replay read %d bytes of %d", in.made, size)
	}
	var statuses []string
	for l := range strings.Lines(out.String()) {
		var v verify.Verdict
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not a verdict: %s", l)
		}
		statuses = append(statuses, v.EventName+" "+string(v.Status))
	}
	want := "CreateVolume compliant|ModifyEbsDefaultKmsKeyId compliant|ModifyEbsDefaultKmsKeyId compliant"
	if code != 0 || strings.Join(statuses, "|") != want {
		t.Errorf("exit %d, verdicts %q; want %q (stderr %s)", code, statuses, want, errOut.String())
	}
	grown := int64(peak.Load()) - int64(before.HeapInuse)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MB read: heap in use grew by at most %d MB; %d MB allocated in all", in.made>>20, grown>>20, alloc>>20)
	if grown > 48<<20 {
		t.Errorf("heap in use grew by %d MB reading %d MB of standard input; want it flat (under 48 MB)", grown>>20, in.made>>20)
	}
	if alloc > size/2 {
		t.Errorf("allocated %d MB reading %d MB of standard input; want less than half of it", alloc>>20, in.made>>20)
	}
}

// failingWriter fails every write after the first n.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("broken pipe")
	}
	w.n--
	return len(p), nil
}

// cancelReader cancels its context once it has given n bytes, then goes on.
type cancelReader struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// A write error while printing, or an interruption while reading or
// evaluating, ends replay with exit 1, leaving neither a goroutine nor a
// spill file; an interruption while evaluating says how many verdicts of how
// many were printed.
func TestReplayEndsCleanly(t *testing.T) {
	var lines strings.Builder
	for i := range 400 {
		lines.WriteString(sampleRecord(t, func(d map[string]any) { d["eventID"] = fmt.Sprintf("id-%04d", i) }) + "\n")
		lines.WriteString(noise(i) + "\n")
	}
	input := lines.String()
	var goroutines int
	settle := func(t *testing.T) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > goroutines {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left running (%d before):\n%s", n-goroutines, n, buf[:runtime.Stack(buf, true)])
		}
	}
	t.Run("write error", func(t *testing.T) {
		dir := spillAll(t)
		goroutines = runtime.NumGoroutine()
		var errOut bytes.Buffer
		code := run(context.Background(), replayArgs("-"), strings.NewReader(input), &failingWriter{n: 3}, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "write: broken pipe") {
			t.Errorf("exit %d, stderr %s; want 1 and the write error", code, errOut.String())
		}
		noSpillFile(t, dir)
		settle(t)
	})
	t.Run("interrupted while reading", func(t *testing.T) {
		dir := spillAll(t)
		goroutines = runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errOut bytes.Buffer
		in := bufio.NewReaderSize(&cancelReader{r: strings.NewReader(input), n: len(input) / 3, cancel: cancel}, 16)
		code := run(ctx, replayArgs("-"), in, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "interrupted") || out.Len() != 0 {
			t.Errorf("exit %d, stderr %s, stdout %d bytes; want 1, interrupted, nothing printed", code, errOut.String(), out.Len())
		}
		noSpillFile(t, dir)
		settle(t)
	})
	t.Run("interrupted while evaluating", func(t *testing.T) {
		dir := spillAll(t)
		goroutines = runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &cancelWriter{n: 1, cancel: cancel} // replay_adv_test.go
		var errOut bytes.Buffer
		code := run(ctx, replayArgs("-"), strings.NewReader(input), out, &errOut)
		printed := strings.Count(out.buf.String(), "\n")
		want := fmt.Sprintf("interrupted: %d of 400 verdicts printed", printed)
		if code != 1 || !strings.Contains(errOut.String(), want) {
			t.Errorf("exit %d, stderr %s; want 1 and %q", code, errOut.String(), want)
		}
		noSpillFile(t, dir)
		settle(t)
	})
}

// While the records are evaluated, after the read, the progress line keeps
// the read's rate and counts the verdicts and the violations; while the
// input is read, none is judged yet, and it counts no violations (not 0).
func TestProgressLineEvaluating(t *testing.T) {
	st := newStats(1)
	st.filesFound.Store(20)
	st.walked.Store(true)
	st.filesRead.Store(20)
	st.records.Store(100000)
	st.start = time.Now().Add(-2 * time.Second)
	st.readDone(2000)
	st.readFor.Store(int64(2 * time.Second))
	st.evaluated.Store(1500)
	st.violations.Store(700)
	want := "files 20/20  records 100,000  50,000/s  verdicts 1,500/2,000  violations 700"
	if got := st.line(time.Minute); got != want {
		t.Errorf("line = %q; want %q", got, want)
	}
	reading := newStats(1)
	reading.filesFound.Store(20)
	reading.walked.Store(true)
	reading.filesRead.Store(3)
	reading.records.Store(15000)
	if got, want := reading.line(time.Second), "files 3/20  records 15,000  15,000/s"; got != want {
		t.Errorf("while reading, line = %q; want %q", got, want)
	}
}
