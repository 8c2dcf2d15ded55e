package cloudtrail

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The scan knows every field of Record: a field of a type it cannot check
// would make it wrong, so it must fail here instead.
func TestRecordSchema(t *testing.T) {
	if recordFieldsErr != nil {
		t.Fatal(recordFieldsErr)
	}
	for _, tt := range []struct {
		fields []field
		key    string
		want   fieldKind
	}{
		{recordFields, "eventName", kindLenient},
		{recordFields, "EVENTNAME", kindLenient},
		{recordFields, "requestParameters", kindRaw},
		{recordFields, "userIdentity", kindStruct},
		{recordFields, "sourceIPAddress", 0},
	} {
		t.Run(tt.key, func(t *testing.T) {
			f := lookup(tt.fields, []byte(tt.key))
			switch {
			case tt.want == 0 && f != nil:
				t.Errorf("%s matches field %s", tt.key, f.name)
			case tt.want != 0 && (f == nil || f.kind != tt.want):
				t.Errorf("%s: field %+v; want kind %d", tt.key, f, tt.want)
			}
		})
	}
	ui := lookup(recordFields, []byte("userIdentity"))
	if f := lookup(ui.fields, []byte("arn")); f == nil || f.kind != kindLenient {
		t.Errorf("userIdentity.arn: %+v", f)
	}
}

const scopeBase = `"eventID":"e-1","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","recipientAccountId":"222222222222"`

// scanCases are records and what the scan may decide about them: sure (with
// the name) only where decoding them surely gives that record.
var scanCases = []struct {
	name, in string
	sure     bool
	want     string // the eventName when sure
}{
	{"plain", `{"eventName":"DescribeInstances",` + scopeBase + `}`, true, "DescribeInstances"},
	{"in scope", `{"eventName":"CopyImage",` + scopeBase + `}`, true, "CopyImage"},
	{"eventName last", `{` + scopeBase + `,"requestParameters":{"a":[1,{"b":null}]},"eventName":"PutObject"}`, true, "PutObject"},
	{"key in another case", `{"EVENTNAME":"PutObject"}`, true, "PutObject"},
	{"spaces", " {\n \"eventName\" : \"PutObject\" ,\n \"userIdentity\" : null }", true, "PutObject"},
	{"lenient scalars", `{"eventName":"PutObject","eventID":42,"errorCode":true,"eventTime":null}`, true, "PutObject"},
	{"userIdentity", `{"eventName":"PutObject","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x","sessionContext":{"a":{"b":[]}}}}`, true, "PutObject"},
	{"escaped name", `{"eventName":"Put\u004fbject"}`, false, ""},
	{"escaped key", `{"\u0065ventName":"PutObject"}`, false, ""},
	{"non-ASCII key folding to a field", `{"eventName":"PutObject","aw` + "\u017f" + `Region":{"x":1}}`, false, ""},
	{"invalid UTF-8 in the name", "{\"eventName\":\"Put\xfcObject\"}", false, ""},
	{"number as name", `{"eventName":12}`, false, ""},
	{"empty name", `{"eventName":""}`, false, ""},
	{"no name", `{` + scopeBase + `}`, false, ""},
	{"duplicate name", `{"eventName":"PutObject","eventName":"CopyImage"}`, false, ""},
	{"duplicate name in another case", `{"eventName":"PutObject","EventName":"CopyImage"}`, false, ""},
	{"object for a string", `{"eventName":"PutObject","eventID":{"a":1}}`, false, ""},
	{"empty object for a string", `{"eventName":"PutObject","eventID":{}}`, false, ""},
	{"string for a struct", `{"eventName":"PutObject","userIdentity":"root"}`, false, ""},
	{"object inside the struct", `{"eventName":"PutObject","userIdentity":{"arn":{"x":1}}}`, false, ""},
	{"escaped key inside the struct", `{"eventName":"PutObject","userIdentity":{"\u0061rn":{"x":1}}}`, false, ""},
	{"deep nesting", `{"eventName":"PutObject","requestParameters":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, false, ""},
	{"empty object", `{}`, false, ""},
}

func TestScanDecision(t *testing.T) {
	for _, tt := range scanCases {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			s := skipper{eof: true}
			i := skipSpace(b, 0)
			r, st := s.scanObject(b, i)
			if st != scanOK {
				t.Fatalf("scan status %d", st)
			}
			if r.sure != tt.sure || string(r.name) != tt.want {
				t.Errorf("scan: sure=%v name=%q; want sure=%v name=%q", r.sure, r.name, tt.sure, tt.want)
			}
			checkScanAgrees(t, b[i:r.end], r)
		})
	}
}

// checkScanAgrees holds a sure scan to the full decoder.
func checkScanAgrees(t *testing.T, raw []byte, r recordScan) {
	t.Helper()
	if !json.Valid(raw) {
		t.Fatalf("scan accepted %q, which is not JSON", raw)
	}
	if !r.sure {
		return
	}
	it := parseRecord(raw)
	if it.Err != nil || string(it.Record.EventName) != string(r.name) {
		t.Fatalf("scan is sure of %q in %q; decoding gives %+v", r.name, raw, it)
	}
}

// The fast path is taken on real records: the scan is sure of every
// third-party record, and of the same records in an EventBridge envelope.
func TestScanDecidesRealRecords(t *testing.T) {
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
			want := parseRecord(b)
			if want.Err != nil {
				t.Fatal(want.Err)
			}
			envelope := []byte(`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + string(b) + `}`)
			for _, in := range [][]byte{b, envelope} {
				s := skipper{eof: true}
				i := skipSpace(in, 0)
				r, st := s.scanObject(in, i)
				if st != scanOK {
					t.Fatalf("scan status %d", st)
				}
				name, sure := r.topRecord(in, &s)
				if !sure || string(name) != string(want.Record.EventName) {
					t.Errorf("scan: sure=%v name=%q; want sure, %q", sure, name, want.Record.EventName)
				}
			}
		})
	}
}

// FuzzScanAgrees holds the scan to the full decoder on arbitrary bytes:
// whatever it is sure of, decoding gives, both for a record and for a
// top-level object (a bare record or an EventBridge event).
func FuzzScanAgrees(f *testing.F) {
	for _, tt := range scanCases {
		f.Add([]byte(tt.in))
		f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":` + tt.in + `}`))
	}
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"A"},"detail":{"eventName":"B"}}`))
	f.Add([]byte(`{"detail-type":"Other","detail":{"eventName":"A"},"eventName":"B"}`))
	f.Add([]byte(`{"eventName":"A","Records":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := skipper{eof: true}
		i := skipSpace(b, 0)
		r, st := s.scanObject(b, i)
		if st != scanOK {
			return
		}
		raw := b[i:r.end]
		checkScanAgrees(t, raw, r)
		name, sure := r.topRecord(b, &s)
		if !sure {
			return
		}
		items := DecodeAll(raw)
		if len(items) != 1 || items[0].Err != nil || items[0].Skip != "" || string(items[0].Record.EventName) != string(name) {
			t.Fatalf("scan is sure of a record %q in %q; decoding gives %+v", name, raw, items)
		}
	})
}
