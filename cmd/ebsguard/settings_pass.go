package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// settingsPass reads the inputs once before they are evaluated and keeps
// their settings-change records (spec/rules.md, "Settings as they were at the
// event"): a record is judged against the settings of its eventTime, and a
// change may come after it in the input. The pass decodes nothing else: the
// decoder's scope passes over every other record on its fast path, without
// decoding it. Files are read on several goroutines; standard input, which
// can be read only once, is read into memory (stdin returns it for the main
// pass). Errors are left to the main pass, which reports them.
//
// A sample folder is an input of its own, with its own world: its settings
// changes apply to its records only. The histories are keyed by sample
// folder, "" for every other input.
func settingsPass(ctx context.Context, paths []string, stdin io.Reader) (map[string]*verify.SettingsHistory, io.Reader, error) {
	hs := map[string]*verify.SettingsHistory{"": verify.NewSettingsHistory()}
	var names []string
	for _, c := range rules.SettingChanges() {
		names = append(names, c.EventName)
	}
	scan := func(h *verify.SettingsHistory, r io.Reader) {
		dec, err := cloudtrail.NewDecoder(r)
		if err != nil {
			return
		}
		dec.Scope(names)
		for {
			it, ok := dec.Next()
			if !ok || ctx.Err() != nil {
				return
			}
			if it.Record != nil {
				h.AddRecord(it.Record)
			}
		}
	}
	if slices.Contains(paths, "-") && stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, nil, fmt.Errorf("read standard input: %w", err)
		}
		scan(hs[""], bytes.NewReader(b))
		stdin = bytes.NewReader(b)
	}
	type file struct {
		path string
		h    *verify.SettingsHistory
	}
	files := make(chan file, 64)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for in := range files {
				if !mentionsSettings(in.path) {
					continue // the common case: decompressed once, never scanned
				}
				f, err := os.Open(in.path)
				if err != nil {
					continue
				}
				scan(in.h, f)
				f.Close()
			}
		})
	}
	for _, p := range paths {
		if p == "-" {
			continue
		}
		_ = inputs.Walk(p, func(f inputs.File) error {
			h := hs[""]
			if f.Sample != nil {
				if h = hs[f.Sample.Dir]; h == nil {
					h = verify.NewSettingsHistory()
					hs[f.Sample.Dir] = h
				}
			}
			select {
			case files <- file{f.Path, h}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	close(files)
	wg.Wait()
	return hs, stdin, ctx.Err()
}

// settingsNeedles are the byte strings every settings-change record holds in
// its event name (EnableEbsEncryptionByDefault, DisableEbs..., ModifyEbsDefaultKmsKeyId,
// ResetEbs...). A JSON escape could hide them from a byte search; CloudTrail
// writes event names plainly, and a file that hides them is only judged
// against today's settings, as before this pass.
var settingsNeedles = [][]byte{[]byte("EbsEncryptionByDefault"), []byte("EbsDefaultKmsKeyId")}

// mentionsSettings reports whether a file (gzip-compressed or not) holds one
// of the needles: a plain byte search over the decompressed stream, much
// cheaper than the decoder's scan, so that the pass costs little more than
// decompression when an archive holds no settings change.
func mentionsSettings(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return true // let the decoder say what it is
		}
		defer zr.Close()
		r = zr
	}
	const overlap = 32 // longer than every needle
	buf := make([]byte, 256<<10)
	kept := 0
	for {
		n, err := io.ReadFull(r, buf[kept:])
		window := buf[:kept+n]
		for _, needle := range settingsNeedles {
			if bytes.Contains(window, needle) {
				return true
			}
		}
		if err != nil {
			return err != io.EOF && err != io.ErrUnexpectedEOF
		}
		kept = copy(buf, window[len(window)-overlap:])
	}
}
