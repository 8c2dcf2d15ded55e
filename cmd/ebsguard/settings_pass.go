package main

import (
	"bytes"
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
