package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An interruption while every reader is busy and the next file waits to be
// handed to one ends the read: the file queued in order but never given to a
// reader must not be waited for (ctrl-C during a replay of a folder used to
// hang, and a second ctrl-C is caught too).
func TestReadEndsWhenInterruptedBetweenFiles(t *testing.T) {
	dir := t.TempDir()
	rec := sampleRecord(t, nil)
	var files []string
	for f := range 4 {
		var b strings.Builder
		for range 1000 { // more than the reader's buffers hold
			b.WriteString(rec + "\n")
		}
		name := filepath.Join(dir, fmt.Sprintf("%d.jsonl", f))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sources := make(chan *source)
	go func() {
		defer close(sources)
		for i, name := range files {
			select {
			case sources <- &source{name: name, arg: i}:
			case <-ctx.Done():
				return
			}
		}
	}()
	items := newReader(newStats(1), 1, false).read(ctx, sources, func(sourceDone) {})
	<-items // the one reader is in the first file; the second waits for it
	time.Sleep(50 * time.Millisecond)
	cancel()
	done := make(chan struct{})
	go func() {
		for range items {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end after the interruption")
	}
}
