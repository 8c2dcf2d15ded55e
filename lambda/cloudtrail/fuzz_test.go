package cloudtrail_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// FuzzDecode feeds arbitrary bytes through the decoder: nothing may panic, every item is a record or an error, and the
// decoder ends.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(rec("a")))
	f.Add([]byte(`{"Records":[` + rec("a") + `,` + rec("b") + `]}`))
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":` + rec("a") + `}`))
	f.Add([]byte(rec("a") + "\n{\"eventName\": tru}\n" + rec("b")))
	f.Add(gz([]byte(rec("a"))))
	f.Add([]byte(`[` + envelope(rec("a")) + `,` + envelope(named("b", "PutObject")) + `]`))
	f.Add([]byte(`{"Records":[` + named("a", "PutObject") + `,` + rec("b") + `],"x":[1]}`))
	f.Add([]byte(`{"eventName":"Put\u004fbject","userIdentity":{"arn":"x"}}` + "\n" + `{"EVENTNAME":"CopyImage","eventID":{}}`))
	f.Add([]byte(`{"eventName":"RunInstances","requestParameters":{"blockDeviceMapping":{"items":[{"deviceName":"/dev/sda1","noDevice":"","ebs":{"encrypted":"false","volumeSize":"8"}}]},"launchTemplate":{"version":1}},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-1"}]}}]}}}`))
	if files, _ := filepath.Glob("../../../shared/testdata/cloudtrail/*.json"); len(files) > 0 {
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := cloudtrail.NewDecoder(bytes.NewReader(in))
		if err != nil {
			return
		}
		for n := 0; ; n++ {
			if n > 1<<20 {
				t.Fatalf("decoder returned more items (%d) with no end", n)
			}
			it, ok := d.Next()
			if !ok {
				return
			}
			if it.Err == nil && it.Record == nil {
				t.Fatal("item with neither record nor error")
			}
			if it.Err != nil {
				continue
			}
			it.Record.Time()
		}
	})
}

// FuzzScopeAgrees holds the fast path to the full decoder on whole inputs:
// with Scope, the decoder returns exactly the items the full decoder
// returns, less the well-formed records of other events, which it counts.
func FuzzScopeAgrees(f *testing.F) {
	other := named("o", "DescribeInstances")
	for _, in := range []string{
		`{"Records":[` + other + `,` + rec("a") + `]}`,
		`{"x":1,"Records":[` + other + `,` + rec("a") + `]}`,
		other + "\n" + envelope(other) + "\n" + envelope(rec("a")) + "\n{broken\n" + rec("b"),
		`[` + envelope(other) + `,` + other + `,{"Records":[` + other + `]}]`,
		`{"detail-type":"Other","detail":{}}`,
		`{"EVENTNAME":"DescribeInstances","eventID":{}}` + "\n" + `{"eventName":"Describe\u0049nstances"}`,
		`{"eventName":"DescribeInstances","userIdentity":{"arn":["x"]}}`,
		// Nested exactly one level too deep once the record is counted.
		`{"eventName":"DescribeInstances","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}\n" + rec("a"),
		`{"Records":[{"eventName":"DescribeInstances","x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "}]}\n" + rec("a"),
	} {
		f.Add([]byte(in))
		f.Add(gz([]byte(in)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		full, fullSeen := items(t, in, false)
		scoped, scopedSeen, skipped := itemsScoped(t, in)
		var want []string
		for _, it := range full {
			if it.Err != nil || it.Skip == "" && (it.Record.EventName == "CopyImage" || it.Record.EventName == "RunInstances") {
				want = append(want, describe(it))
			}
		}
		var got []string
		for _, it := range scoped {
			got = append(got, describe(it))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("with Scope:\n%s\nwithout, less the other events:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if scopedSeen != fullSeen || skipped != int64(len(full)-len(want)) {
			t.Fatalf("seen %d, skipped %d; the full decoder saw %d and returned %d in scope", scopedSeen, skipped, fullSeen, len(want))
		}
	})
}

func items(t *testing.T, in []byte, scoped bool) ([]cloudtrail.Item, int64) {
	its, seen, _ := decodeItems(t, in, scoped)
	return its, seen
}

func itemsScoped(t *testing.T, in []byte) ([]cloudtrail.Item, int64, int64) {
	return decodeItems(t, in, true)
}

func decodeItems(t *testing.T, in []byte, scoped bool) ([]cloudtrail.Item, int64, int64) {
	t.Helper()
	d, err := cloudtrail.NewDecoder(bytes.NewReader(in))
	if err != nil {
		return nil, 0, 0
	}
	if scoped {
		d.Scope([]string{"CopyImage", "RunInstances"})
	}
	var out []cloudtrail.Item
	for n := 0; ; n++ {
		if n > 1<<20 {
			t.Fatalf("decoder returned more items (%d) with no end", n)
		}
		it, ok := d.Next()
		if !ok {
			return out, d.Seen(), d.Skipped()
		}
		out = append(out, it)
	}
}

// describe prints an item whole, for comparison.
func describe(it cloudtrail.Item) string {
	s := fmt.Sprintf("skip=%q", it.Skip)
	if it.Err != nil {
		s += " err=" + it.Err.Error()
	}
	if it.Record != nil {
		s += fmt.Sprintf(" record=%+v", *it.Record)
	}
	return s
}
