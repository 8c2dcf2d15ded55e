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

// named is a record of another event.
func named(id, name string) string {
	return strings.Replace(rec(id), `"eventName":"CopyImage"`, `"eventName":"`+name+`"`, 1)
}

func envelope(record string) string {
	return `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + record + `}`
}

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
	event := envelope(rec("a"))
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"bare record", rec("a"), "e-a"},
		{"EventBridge event", event, "e-a"},
		{"log file", `{"Records":[` + rec("a") + `,` + rec("b") + `]}`, "e-a e-b"},
		{"log file, Records not first", `{"x":1,"Records":[` + rec("a") + `]}`, "e-a"},
		{"log file, keys after Records", `{"Records":[` + rec("a") + `],"digest":"z"}` + "\n" + rec("b"), "e-a e-b"},
		{"JSON lines", rec("a") + "\n" + event + "\n" + `{"Records":[` + rec("b") + `]}` + "\n", "e-a e-a e-b"},
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
		{"Records null", `{"Records":null}`, ""},
		{"list of EventBridge events", `[` + envelope(rec("a")) + `,` + envelope(rec("b")) + `]`, "e-a e-b"},
		{"list of log files", `[{"Records":[` + rec("a") + `]},{"Records":[` + rec("b") + `]}]`, "e-a e-b"},
		{"list with a scalar", `[` + rec("a") + `,1,` + rec("b") + `]`, "e-a ! e-b"},
		{"empty list", `[]`, ""},
		{"list with a trailing comma", `[` + rec("a") + `,]` + "\n" + rec("b"), "e-a ! e-b"},
		{"log file, escaped Records key", `{"Rec\u006frds":[` + rec("a") + `]}`, "e-a"},
		{"log file, broken record", `{"Records":[` + rec("a") + `,{"eventName":x},` + rec("b") + `]}` + "\n" + rec("c"), "e-a ! e-c"},
		{"log file, broken member after Records", `{"Records":[` + rec("a") + `],"x":}` + "\n" + rec("b"), "e-a ! e-b"},
		{"log file, truncated after Records", `{"Records":[` + rec("a") + `]`, "e-a !"},
		{"concatenated without newlines", rec("a") + rec("b"), "e-a e-b"},
		{"number then record", "42\n" + rec("a"), "! e-a"},
		{"record with a field of the wrong type", `{"eventName":"CopyImage","eventID":{"a":1}}`, "!"},
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

// With Scope, records of other events are counted and passed over; what is
// left is exactly what the full decoder returns for the events in scope and
// every error.
func TestDecoderScope(t *testing.T) {
	other := named("o", "DescribeInstances")
	tests := []struct {
		name    string
		in      string
		want    string
		skipped int64
	}{
		{"log file", `{"Records":[` + other + `,` + rec("a") + `,` + other + `]}`, "e-a", 2},
		{"log file read whole", `{"x":1,"Records":[` + other + `,` + rec("a") + `]}`, "e-a", 1},
		{"JSON lines", other + "\n" + rec("a") + "\n" + envelope(other) + "\n" + envelope(rec("b")), "e-a e-b", 2},
		{"list of events", `[` + envelope(other) + `,` + envelope(rec("a")) + `]`, "e-a", 1},
		{"other EventBridge event", `{"detail-type":"EC2 Instance State-change Notification","detail":{}}` + "\n" + rec("a"), "e-a", 1},
		{"errors are kept", other + "\n{broken\n" + `{"eventName":"DescribeInstances","eventID":{"a":1}}` + "\n" + `{"eventName":""}`, "! ! !", 1},
		{"name in another case", `{"Records":[{"EVENTNAME":"DescribeInstances"},{"EVENTNAME":"CopyImage","eventID":"e-a"}]}`, "e-a", 1},
		{"escaped name", `{"eventName":"Describe\u0049nstances"}` + "\n" + `{"eventName":"Copy\u0049mage","eventID":"e-a"}`, "e-a", 1},
		{"in a sibling case only", `{"EventName":"CopyImage"}`, "!", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, compress := range []bool{false, true} {
				in := []byte(tt.in)
				if compress {
					in = gz(in)
				}
				d, err := cloudtrail.NewDecoder(bytes.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				d.Scope([]string{"CopyImage", "RunInstances"})
				got := strings.Join(drain(d), " ")
				if got != tt.want || d.Skipped() != tt.skipped {
					t.Errorf("gzip=%v: decoded %q, skipped %d; want %q, %d", compress, got, d.Skipped(), tt.want, tt.skipped)
				}
				if n := int64(len(strings.Fields(got))); d.Seen() != n+d.Skipped() {
					t.Errorf("gzip=%v: seen %d; want %d returned + %d skipped", compress, d.Seen(), n, d.Skipped())
				}
			}
		})
	}
}

// drain is decode for a decoder already made.
func drain(d *cloudtrail.Decoder) []string {
	var got []string
	for {
		it, ok := d.Next()
		if !ok {
			return got
		}
		switch {
		case it.Err != nil:
			got = append(got, "!")
		case it.Skip != "":
			got = append(got, "skip")
		default:
			got = append(got, string(it.Record.EventID))
		}
	}
}

// Passing over a record of another event allocates nothing: the
// allocations of a whole decode do not grow with the number of such records.
func TestScopeSkipsWithoutAllocating(t *testing.T) {
	noise := noiseRecord(1)
	shapes := map[string]func(n int) string{
		"log file":   func(n int) string { return `{"Records":[` + strings.Repeat(noise+",", n) + rec("a") + `]}` },
		"JSON lines": func(n int) string { return strings.Repeat(noise+"\n", n) + rec("a") },
		"EventBridge events": func(n int) string {
			return strings.Repeat(envelope(noise)+"\n", n) + envelope(rec("a"))
		},
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			allocs := func(n int) float64 {
				in := []byte(shape(n))
				return testing.AllocsPerRun(5, func() {
					d, _ := cloudtrail.NewDecoder(bytes.NewReader(in))
					d.Scope([]string{"CopyImage"})
					if got := drain(d); len(got) != 1 || d.Skipped() != int64(n) {
						t.Fatalf("decoded %v, skipped %d", got, d.Skipped())
					}
				})
			}
			few, many := allocs(100), allocs(2000)
			if many > few+2 {
				t.Errorf("%.0f allocations for 100 skipped records, %.0f for 2000", few, many)
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
