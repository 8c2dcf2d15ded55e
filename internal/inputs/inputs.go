// Package inputs says which files of a path are event inputs, so that
// `ebsguard replay` and the local demo read the same files of a folder.
//
// A folder is read recursively in lexical order, as a CloudTrail S3 prefix is
// laid out; hidden folders and CloudTrail-Digest are left out, and only files
// that can hold records (.json, .jsonl, .ndjson, .gz) are read. A folder
// holding world.json is a sample: only its event files (event.json, then
// event-*.json) are inputs, evaluated against its world.json and, if present,
// its policy.json; the other files of a sample (want.json, README.md, ...)
// never are.
package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The files of a sample folder.
const (
	WorldFile  = "world.json"
	PolicyFile = "policy.json"
	EventFile  = "event.json"
)

// Sample is a sample folder.
type Sample struct {
	Dir    string
	World  string // the path of its world.json
	Policy string // the path of its policy.json, "" when it has none
}

// File is one input file.
type File struct {
	Path string
	// Sample is the sample folder the file is an event of, or that holds
	// a file named directly; nil for a file outside one.
	Sample *Sample
}

// Walk calls fn for every input file of path, in order: path itself when it
// is a file (whatever its name; in a sample folder, an input of that sample),
// else the inputs of the folder. It stops at
// fn's first error and returns it. A folder that cannot be read is passed
// over; the errors are returned, joined, once the rest has been walked.
func Walk(path string, fn func(File) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fn(File{Path: path, Sample: sampleOfFile(path)})
	}
	var w walker
	if err := w.dir(path, fn); err != nil {
		return err
	}
	return errors.Join(w.errs...)
}

type walker struct{ errs []error }

func (w *walker) dir(dir string, fn func(File) error) error {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("read folder %s: %w", dir, err))
		return nil
	}
	if s := sampleOf(dir, entries); s != nil {
		// event.json is the sample's event: it comes first, then the
		// others in lexical order.
		for _, first := range []bool{true, false} {
			for _, e := range entries {
				if !e.IsDir() && IsEventFile(e.Name()) && (e.Name() == EventFile) == first {
					if err := fn(File{Path: filepath.Join(dir, e.Name()), Sample: s}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if skipDir(e.Name()) {
				continue
			}
			if err := w.dir(p, fn); err != nil {
				return err
			}
		case IsRecordFile(e.Name()):
			if err := fn(File{Path: p}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleOfFile returns the sample a file named directly belongs to: that of
// its folder when the folder holds world.json (as the folder itself would be
// read), unless the file is the sample's world or policy; else nil.
func sampleOfFile(path string) *Sample {
	switch filepath.Base(path) {
	case WorldFile, PolicyFile:
		return nil
	}
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // read as a lone file, against what the caller names
	}
	return sampleOf(dir, entries)
}

// sampleOf returns the sample a folder is, or nil.
func sampleOf(dir string, entries []fs.DirEntry) *Sample {
	var s *Sample
	policy := false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch e.Name() {
		case WorldFile:
			s = &Sample{Dir: dir, World: filepath.Join(dir, WorldFile)}
		case PolicyFile:
			policy = true
		}
	}
	if s != nil && policy {
		s.Policy = filepath.Join(dir, PolicyFile)
	}
	return s
}

// IsEventFile tells the event files of a sample folder: event.json and
// event-*.json.
func IsEventFile(name string) bool {
	return name == EventFile || strings.HasPrefix(name, "event-") && strings.HasSuffix(name, ".json")
}

// IsRecordFile tells which files of a folder (outside samples) can hold
// records.
func IsRecordFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, ext := range []string{".json", ".jsonl", ".ndjson", ".gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// skipDir leaves out hidden folders and CloudTrail's digest files, which
// hold no records.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "CloudTrail-Digest"
}
