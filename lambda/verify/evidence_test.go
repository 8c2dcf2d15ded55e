package verify_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The HIDDEN marker in a request's key field, in every kind: the kind's row
// with K, no intended key, judged against the policy only, with the note.
func TestHiddenRequestKeyEveryKind(t *testing.T) {
	tests := []struct {
		sample, key, rule string
	}{
		{"launch-template-override", `"alias/team"`, "launch/key"},
		{"copy-key", `"7ea70000-0000-4000-8000-000000000001"`, "copy/key"},
		{"snapcopy-key", `"alias/team"`, "snapcopy/key"},
		{"volume-key", `"alias/`, "volume/key"},
		{"directsnap-new-key", `"arn:aws:kms:us-east-1:222222222222:key/7ea00000-0000-4000-8000-000000000021"`, "directsnap/new/key"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			w, _ := load(t, tt.sample)
			b := readSample(t, tt.sample)
			if !bytes.Contains(b, []byte(tt.key)) {
				t.Fatalf("the sample names no key %s", tt.key)
			}
			if tt.key == `"alias/` {
				b = replaceKeyField(t, b)
			} else {
				b = bytes.ReplaceAll(b, []byte(tt.key), []byte(`"`+verify.HiddenMarker+`"`))
			}
			items := cloudtrail.DecodeAll(b)
			v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), items[0])
			hidden := 0
			for _, r := range v.Resources {
				if r.Note == "" {
					continue
				}
				hidden++
				if r.Rule != tt.rule || r.Note != verify.NoteKeyHidden || r.IntendedKeyARN != "" || r.Expected == nil || !r.Expected.Encrypted || r.Expected.KMSKeyARN != "" {
					t.Errorf("resource %+v; want the note, no intended key, expected encrypted with an unknown key", r)
				}
				if slices.Contains(r.Findings, "KEY_MISMATCH") || slices.Contains(r.Findings, "DEFAULT_KEY_FALLBACK") {
					t.Errorf("findings %q; want the policy's only", r.Findings)
				}
			}
			if hidden == 0 {
				b, _ := v.JSON()
				t.Fatalf("no resource with the note: %s", b)
			}
		})
	}
}

func readSample(t *testing.T, sample string) []byte {
	t.Helper()
	b, err := os.ReadFile(samples + sample + "/event.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceKeyField replaces the value of the request's kmsKeyId with the marker.
func replaceKeyField(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(`"kmsKeyId": "`))
	if i < 0 {
		t.Fatal("no kmsKeyId")
	}
	start := i + len(`"kmsKeyId": "`)
	end := start + bytes.IndexByte(b[start:], '"')
	return append(append(append([]byte{}, b[:start]...), verify.HiddenMarker...), b[end:]...)
}

// A CreateVolume whose volume is never listed: pending on the first look,
// creation-failed once a re-check past the backoff still cannot find it.
func TestCreateVolumeNeverListed(t *testing.T) {
	eventTime := time.Date(2026, 11, 20, 10, 4, 11, 0, time.UTC)
	w, it := load(t, "volume-key")
	region(w).Volumes = nil
	if v := verify.New(verify.Config{Clients: w, Now: func() time.Time { return eventTime.Add(time.Minute) }}).Evaluate(context.Background(), it); v.Status != verify.StatusPending {
		t.Errorf("first look: %s (%s); want pending", v.Status, v.Reason)
	}
	later := func() time.Time { return eventTime.Add(time.Hour) }
	v := verify.New(verify.Config{Clients: w, Now: later}).Recheck(context.Background(), it, verify.Check{Attempt: 2})
	if v.Status != verify.StatusSkipped || v.Reason != verify.ReasonCreationFailed {
		t.Errorf("re-check after the backoff: %s (%s); want skipped, creation-failed", v.Status, v.Reason)
	}
}

// StartSnapshot's hidden K follows the marker rule like every kind: the row
// with K is the table's, so a hidden K with an encrypted parent is
// directsnap/parent-enc/other, a call EC2 rejects, and a success recorded
// for it is an inconsistent record, not a judgement.
func TestHiddenKeyStartSnapshotWithParent(t *testing.T) {
	const sample = "directsnap-parent-enc-other"
	w, _ := load(t, sample)
	key := []byte(`"arn:aws:kms:us-east-1:222222222222:key/7ea00000-0000-4000-8000-000000000021"`)
	b := readSample(t, sample)
	if !bytes.Contains(b, key) {
		t.Fatalf("the sample names no key %s", key)
	}
	b = bytes.ReplaceAll(b, key, []byte(`"`+verify.HiddenMarker+`"`))
	v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), cloudtrail.DecodeAll(b)[0])
	if v.Status != verify.StatusError || v.ErrorClass != verify.ClassInconsistentRecord || len(v.Resources) != 1 || v.Resources[0].Rule != "directsnap/parent-enc/other" {
		out, _ := v.JSON()
		t.Fatalf("verdict %s; want an inconsistent-record error under directsnap/parent-enc/other", out)
	}
}
