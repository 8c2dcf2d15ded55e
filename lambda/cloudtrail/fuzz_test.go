package cloudtrail_test

import (
	"bytes"
	"os"
	"path/filepath"
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
