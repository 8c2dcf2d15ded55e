package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// pathCount is what one PATH argument gave, to tell an empty input.
type pathCount struct {
	name    string
	dir     bool
	files   int64 // walker
	records int64 // reader, as its files are done
	failed  bool  // walker: it could not be walked (reported)
}

// walk sends a source for every input of the paths, in order (internal/inputs
// decides which files of a folder are inputs). It reports what cannot be
// walked and goes on with the rest.
func walk(ctx context.Context, paths []pathCount, stdin io.Reader, engineFor func(inputs.File) (*verify.Engine, error), st *stats, report func(error)) <-chan *source {
	out := make(chan *source, 64)
	go func() {
		defer close(out)
		defer st.walked.Store(true)
		send := func(s *source) error {
			st.filesFound.Add(1)
			select {
			case out <- s:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for i := range paths {
			p := &paths[i]
			if p.name == "-" {
				p.files++
				s := &source{name: "standard input", stdin: stdin, arg: i}
				s.engine, s.err = engineFor(inputs.File{})
				if send(s) != nil {
					return
				}
				continue
			}
			if fi, err := os.Stat(p.name); err == nil {
				p.dir = fi.IsDir()
			}
			err := inputs.Walk(p.name, func(f inputs.File) error {
				p.files++
				s := &source{name: f.Path, arg: i}
				if s.engine, s.err = engineFor(f); s.err != nil {
					s.err = fmt.Errorf("%s: %w", f.Path, s.err)
					p.failed = true // reported as the file is read: not also as empty
				}
				return send(s)
			})
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				p.failed = true
				report(fmt.Errorf("read %s: %w", p.name, err))
			}
		}
	}()
	return out
}

// emptyInputs says which paths gave no records: someone who points replay
// at the wrong prefix must not read "nothing found" as "all compliant".
func emptyInputs(paths []pathCount) []error {
	var errs []error
	for _, p := range paths {
		switch {
		case p.failed:
			// already reported
		case p.files == 0 && p.dir:
			errs = append(errs, fmt.Errorf("%s holds no CloudTrail files (.json, .jsonl, .ndjson, .gz) and no sample events", p.name))
		case p.records == 0 && p.name == "-":
			errs = append(errs, fmt.Errorf("no records on standard input"))
		case p.records == 0:
			errs = append(errs, fmt.Errorf("%s holds no records", p.name))
		}
	}
	return errs
}
