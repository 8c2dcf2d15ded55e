// Command record writes a CloudTrail archive for bench/replay.sh: gzip log
// files laid out like a CloudTrail S3 prefix, mostly records of other events
// (about 1.3 KB each, of varied real-looking services, names and fields), with
// a share of RunInstances and CopyImage records taken from sample events,
// and the world they are evaluated against (the samples' worlds merged).
//
//	record -out DIR [-records 100000] [-files 20] [-relevant 0.02] [-world-volumes N -world-snapshots N -world-images N]
//	record -log BYTES      one uncompressed log file of about BYTES on stdout
//
// The output is deterministic: the same flags give the same archive.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

const (
	account = "222222222222"
	region  = "us-east-1"
)

func main() {
	out := flag.String("out", "", "write the archive (trail/ and world.json) under this folder")
	records := flag.Int("records", 100000, "records in the archive")
	files := flag.Int("files", 20, "log files in the archive")
	relevant := flag.Float64("relevant", 0.02, "share of RunInstances and CopyImage records")
	samples := flag.String("samples", "launch-encrypted-shared,copy-encrypted-owned", "sample events (events/samples/NAME) the relevant records are built from; their worlds must agree")
	samplesDir := flag.String("samples-dir", "events/samples", "")
	logBytes := flag.Int64("log", 0, "write one uncompressed log file of about this many bytes to stdout instead")
	var f filler
	flag.IntVar(&f.Volumes, "world-volumes", 0, "volumes of no concern to the records added to the world (each attached to an instance of its own)")
	flag.IntVar(&f.Snapshots, "world-snapshots", 0, "snapshots of no concern added to the world")
	flag.IntVar(&f.Images, "world-images", 0, "images of no concern added to the world")
	flag.BoolVar(&worldOnly, "world-only", false, "write only the world (world.json under -out), not the archive")
	flag.Parse()
	worldFiller = f
	if err := run(*out, *records, *files, *relevant, strings.Split(*samples, ","), *samplesDir, *logBytes); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

// worldFiller is what -world-* add to the world; worldOnly skips the archive.
var (
	worldFiller filler
	worldOnly   bool
)

func run(out string, records, files int, relevant float64, samples []string, samplesDir string, logBytes int64) error {
	if relevant <= 0 || relevant > 1 {
		return fmt.Errorf("-relevant must be in (0, 1]")
	}
	events, worlds, err := loadSamples(samplesDir, samples)
	if err != nil {
		return err
	}
	every := max(1, int(1/relevant+0.5)) // one relevant record in each block of this many
	if logBytes > 0 {
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		g := newGen(0, events, every)
		io.WriteString(w, `{"Records":[`)
		var n int64
		for i := 0; n < logBytes; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			r := g.next()
			n += int64(len(r)) + 1
			w.Write(r)
		}
		io.WriteString(w, "]}\n")
		return w.Flush()
	}
	if out == "" || records < 1 || files < 1 {
		return fmt.Errorf("name -out, with -records and -files of at least 1")
	}
	world, err := mergeWorlds(worlds)
	if err != nil {
		return err
	}
	if world, err = fill(world, worldFiller); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "world.json"), world, 0o644); err != nil {
		return err
	}
	if worldOnly {
		fmt.Printf("%d %d %d %d\n", 0, 0, len(world), 0)
		return nil
	}
	dir := filepath.Join(out, "trail", "AWSLogs", account, "CloudTrail", region, "2026", "11", "20")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Files are written in parallel; each has its own generator, so the
	// content does not depend on scheduling.
	var wg sync.WaitGroup
	errs := make([]error, files)
	sem := make(chan struct{}, 4)
	var relevantTotal, bytesTotal, gzTotal int64
	var mu sync.Mutex
	for f := range files {
		from, to := records*f/files, records*(f+1)/files
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("%s_CloudTrail_%s_20261120T%02d%02dZ_%016x.json.gz", account, region, 10+f/12, f%12*5, uint64(f)*0x9e3779b97f4a7c15)
			rel, raw, gz, err := writeLog(filepath.Join(dir, name), newGen(uint64(f+1), events, every), to-from)
			errs[f] = err
			mu.Lock()
			relevantTotal, bytesTotal, gzTotal = relevantTotal+rel, bytesTotal+raw, gzTotal+gz
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Printf("%d %d %d %d\n", records, relevantTotal, bytesTotal, gzTotal)
	return nil
}

// writeLog writes one gzip log file of n records; it returns how many were
// relevant and the sizes.
func writeLog(path string, g *gen, n int) (relevant, raw, gz int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, err
	}
	cw := &countWriter{w: f}
	zw := gzip.NewWriter(cw)
	bw := bufio.NewWriterSize(zw, 256<<10)
	bw.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		r := g.next()
		raw += int64(len(r))
		bw.Write(r)
	}
	bw.WriteString("]}")
	if err := bw.Flush(); err != nil {
		return 0, 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, 0, err
	}
	return g.relevant, raw, cw.n, f.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// loadSamples returns the CloudTrail records of the samples' events and
// their worlds.
func loadSamples(dir string, names []string) ([]map[string]any, [][]byte, error) {
	var events []map[string]any
	var worlds [][]byte
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name, "event.json"))
		if err != nil {
			return nil, nil, err
		}
		var ev struct{ Detail map[string]any }
		if err := json.Unmarshal(b, &ev); err != nil || ev.Detail == nil {
			return nil, nil, fmt.Errorf("%s: not an EventBridge event with a detail: %v", name, err)
		}
		if n := ev.Detail["eventName"]; n != "RunInstances" && n != "CopyImage" {
			return nil, nil, fmt.Errorf("%s: a %v event; want RunInstances or CopyImage", name, n)
		}
		w, err := os.ReadFile(filepath.Join(dir, name, "world.json"))
		if err != nil {
			return nil, nil, err
		}
		events = append(events, ev.Detail)
		worlds = append(worlds, w)
	}
	return events, worlds, nil
}

// mergeWorlds unites worlds: the resources of every account and Region,
// which must agree where they overlap.
func mergeWorlds(worlds [][]byte) ([]byte, error) {
	type regionView = map[string]json.RawMessage
	merged := map[string]map[string]regionView{}
	for _, b := range worlds {
		var w struct {
			Accounts map[string]map[string]regionView `json:"accounts"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, err
		}
		for acct, regions := range w.Accounts {
			if merged[acct] == nil {
				merged[acct] = map[string]regionView{}
			}
			for reg, view := range regions {
				into := merged[acct][reg]
				if into == nil {
					into = regionView{}
					merged[acct][reg] = into
				}
				for field, v := range view {
					m, err := mergeField(into[field], v)
					if err != nil {
						return nil, fmt.Errorf("accounts.%s.%s.%s: %w", acct, reg, field, err)
					}
					into[field] = m
				}
			}
		}
	}
	return json.MarshalIndent(map[string]any{"accounts": merged}, "", "  ")
}

// mergeField unites two lists of resources (by their JSON, duplicates once)
// or checks that two settings agree.
func mergeField(a, b json.RawMessage) (json.RawMessage, error) {
	if a == nil {
		return b, nil
	}
	var la, lb []json.RawMessage
	if json.Unmarshal(a, &la) != nil || json.Unmarshal(b, &lb) != nil {
		if compact(a) != compact(b) {
			return nil, fmt.Errorf("the samples' worlds disagree: %s and %s", a, b)
		}
		return a, nil
	}
	seen := map[string]bool{}
	claimed := map[string]string{} // what names a resource -> the resource
	var out []json.RawMessage
	for _, x := range append(la, lb...) {
		c := compact(x)
		for _, k := range names(x) {
			if other, ok := claimed[k]; ok && other != c {
				return nil, fmt.Errorf("the samples' worlds disagree on %s: %s and %s", k, other, c)
			}
			claimed[k] = c
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, x)
		}
	}
	return json.Marshal(out)
}

// names are what identify a resource of a world, or what the engine finds it
// by: its ID, an alias, an attachment to an instance's device.
func names(x json.RawMessage) []string {
	var r struct {
		ImageId, SnapshotId, InstanceId, VolumeId, KeyId, LaunchTemplateId string
		VersionNumber                                                      int
		Aliases                                                            []string
		Attachments                                                        []struct{ InstanceId, Device string }
		BlockDeviceMappings                                                []struct{ DeviceName string }
	}
	json.Unmarshal(x, &r)
	var out []string
	for _, id := range []string{r.ImageId, r.SnapshotId, r.InstanceId, r.VolumeId, r.KeyId} {
		if id != "" {
			out = append(out, "ID "+id)
		}
	}
	if r.LaunchTemplateId != "" {
		out = append(out, fmt.Sprintf("launch template %s version %d", r.LaunchTemplateId, r.VersionNumber))
	}
	for _, a := range r.Aliases {
		out = append(out, "alias "+a)
	}
	for _, a := range r.Attachments {
		out = append(out, "device "+a.Device+" of "+a.InstanceId)
	}
	if r.InstanceId != "" && r.VolumeId == "" {
		for _, m := range r.BlockDeviceMappings {
			out = append(out, "device "+m.DeviceName+" of "+r.InstanceId)
		}
	}
	return out
}

func compact(b json.RawMessage) string {
	var v any
	json.Unmarshal(b, &v)
	out, _ := json.Marshal(v)
	return string(out)
}
