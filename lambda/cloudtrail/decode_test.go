package cloudtrail_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

const record = `{"eventVersion":"1.08","eventID":"e-%s","eventName":"CopyImage","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","recipientAccountId":"222222222222","requestParameters":{"sourceRegion":"us-east-1","sourceImageId":"ami-1"},"responseElements":{"imageId":"ami-2"}}`

func rec(id string) string { return strings.Replace(record, "%s", id, 1) }

// decode returns the event IDs read and the errors, in order ("!" marks an error).
func decode(t *testing.T, in []byte) []string {
	t.Helper()
	d, err := cloudtrail.NewDecoder(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	var got []string
	for {
		it, ok := d.Next()
		if !ok {
			return got
		}
		if it.Err != nil {
			got = append(got, "!")
			continue
		}
		if it.Skip != "" {
			got = append(got, "skip")
			continue
		}
		got = append(got, string(it.Record.EventID))
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDecoderShapes(t *testing.T) {
	envelope := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + rec("a") + `}`
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"bare record", rec("a"), "e-a"},
		{"EventBridge event", envelope, "e-a"},
		{"log file", `{"Records":[` + rec("a") + `,` + rec("b") + `]}`, "e-a e-b"},
		{"log file, Records not first", `{"x":1,"Records":[` + rec("a") + `]}`, "e-a"},
		{"log file, keys after Records", `{"Records":[` + rec("a") + `],"digest":"z"}` + "\n" + rec("b"), "e-a e-b"},
		{"JSON lines", rec("a") + "\n" + envelope + "\n" + `{"Records":[` + rec("b") + `]}` + "\n", "e-a e-a e-b"},
		{"list", `[` + rec("a") + `,` + rec("b") + `]`, "e-a e-b"},
		{"empty input", "  \n", ""},
		{"broken line resyncs", rec("a") + "\n" + `{"eventName": tru}` + "\n" + rec("b"), "e-a ! e-b"},
		{"truncated", rec("a") + "\n" + `{"eventName":"CopyImage"`, "e-a !"},
		{"truncated log file", `{"Records":[` + rec("a") + `,`, "e-a !"},
		{"unknown object", `{"foo":1}`, "!"},
		{"scalar", `42`, "!"},
		{"other EventBridge event", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"222222222222","detail":{"instance-id":"i-1","state":"running"}}`, "skip"},
		{"record without eventName", `{"eventName":""}`, "!"},
		{"Records not a list", `{"Records":{}}`, "!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, compress := range []bool{false, true} {
				in := []byte(tt.in)
				if compress {
					in = gz(in)
				}
				got := strings.Join(decode(t, in), " ")
				if got != tt.want {
					t.Errorf("gzip=%v: decoded %q; want %q", compress, got, tt.want)
				}
			}
		})
	}
}

// Every third-party record in shared/testdata decodes without error.
func TestDecodeSharedTestdata(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/testdata/cloudtrail/*.json")
	if len(files) == 0 {
		t.Skip("../shared/testdata/cloudtrail is absent")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			items := cloudtrail.DecodeAll(b)
			if len(items) != 1 {
				t.Fatalf("decoded %d items; want 1", len(items))
			}
			it := items[0]
			if it.Err != nil {
				t.Fatalf("decode: %v", it.Err)
			}
			r := it.Record
			if r.EventName == "" || r.AWSRegion == "" {
				t.Errorf("record lacks eventName or awsRegion: %+v", r)
			}
		})
	}
}

func TestRecordTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-20T10:04:11Z":          "2026-11-20T10:04:11Z",
		"2026-11-20T10:04:11":           "2026-11-20T10:04:11Z",
		"2022-10-20 14:16:43":           "2022-10-20T14:16:43Z",
		"2024-04-02 15:13:06.000000000": "2024-04-02T15:13:06Z",
		"2026-11-20T11:04:11+01:00":     "2026-11-20T10:04:11Z",
		"yesterday":                     "yesterday",
	} {
		r := cloudtrail.Record{EventTime: cloudtrail.String(in)}
		if got := r.Time(); got != want {
			t.Errorf("Time(%q) = %q; want %q", in, got, want)
		}
	}
}
