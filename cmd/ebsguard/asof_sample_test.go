package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// asofSample returns the folder of the sample asof-def-known and its three
// records: two settings changes, then the CreateVolume they concern (the
// replay tests of settings as they were move them between files and inputs).
func asofSample(t *testing.T) (dir string, records []json.RawMessage) {
	t.Helper()
	dir = filepath.Join(samplesDir, "asof-def-known")
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var log struct{ Records []json.RawMessage }
	if err := json.Unmarshal(b, &log); err != nil || len(log.Records) != 3 {
		t.Fatalf("asof-def-known: %v, %d records", err, len(log.Records))
	}
	return dir, log.Records
}

// compactLine is raw as one line of JSON.
func compactLine(t *testing.T, raw []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
