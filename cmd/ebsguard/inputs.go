package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// readAll streams the items of every input into items, in order. Folders are
// read recursively in lexical order, as a CloudTrail S3 prefix is laid out.
// It returns the inputs that could not be read, joined.
func readAll(ctx context.Context, paths []string, stdin io.Reader, items chan<- cloudtrail.Item) error {
	var errs []error
	for _, p := range paths {
		if p == "-" {
			errs = append(errs, readOne(ctx, "standard input", stdin, items))
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("read %s: %w", path, err))
				return nil
			}
			if d.IsDir() {
				if path != p && skipDir(d.Name()) {
					return fs.SkipDir
				}
				return nil
			}
			if path != p && !recordFile(d.Name()) {
				return nil
			}
			f, err := os.Open(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("read %s: %w", path, err))
				return nil
			}
			defer f.Close()
			errs = append(errs, readOne(ctx, path, f, items))
			return ctx.Err()
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// skipDir leaves out hidden folders and CloudTrail's digest files, which hold
// no records.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "CloudTrail-Digest"
}

// recordFile tells which files of a folder hold records.
func recordFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, ext := range []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// readOne streams one input. A malformed record becomes an error item (its
// verdict says why); an input that cannot be opened is returned.
func readOne(ctx context.Context, name string, r io.Reader, items chan<- cloudtrail.Item) error {
	d, err := cloudtrail.NewDecoder(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	for {
		it, ok := d.Next()
		if !ok {
			return nil
		}
		if it.Err != nil {
			it.Err = fmt.Errorf("%s: %w", name, it.Err)
		}
		select {
		case items <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
