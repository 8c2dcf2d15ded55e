package cloudtrail

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// repeatReader yields head, n filler bytes, then tail, without holding them.
type repeatReader struct {
	parts [][]byte
	fill  byte
	n     int64
	stage int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for r.stage < 3 {
		switch r.stage {
		case 0, 2:
			part := r.parts[r.stage/2]
			if len(part) == 0 {
				r.stage++
				continue
			}
			n := copy(p, part)
			r.parts[r.stage/2] = part[n:]
			return n, nil
		case 1:
			if r.n == 0 {
				r.stage++
				continue
			}
			n := int(min(int64(len(p)), r.n))
			for i := range n {
				p[i] = r.fill
			}
			r.n -= int64(n)
			return n, nil
		}
	}
	return 0, io.EOF
}

const small = `{"eventVersion":"1.09","eventID":"small-%s","eventName":"CreateVolume","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222"}`

// Break 11: one record of 200 MB is an error item named by its event ID,
// read in constant memory, and the records around it are read as usual,
// in JSON lines and in a log file's "Records".
func TestOversizeRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reads 400 MB")
	}
	for _, shape := range []struct{ name, head, tail string }{
		{"lines", strings.Replace(small, "%s", "1", 1) + "\n" + `{"eventID":"big-1","eventName":"RunInstances","requestParameters":{"userData":"`,
			`"}}` + "\n" + strings.Replace(small, "%s", "2", 1) + "\n"},
		{"log file", `{"Records":[` + strings.Replace(small, "%s", "1", 1) + `,{"eventID":"big-1","eventName":"RunInstances","requestParameters":{"userData":"`,
			`"}},` + strings.Replace(small, "%s", "2", 1) + `]}`},
	} {
		t.Run(shape.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d, err := NewDecoder(&repeatReader{parts: [][]byte{[]byte(shape.head), []byte(shape.tail)}, fill: 'a', n: 200 << 20})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				it, ok := d.Next()
				if !ok {
					break
				}
				switch {
				case it.Err != nil && it.Record != nil:
					got = append(got, "error "+string(it.Record.EventID)+" "+string(it.Record.EventName))
					if !strings.Contains(it.Err.Error(), "over 4194304 bytes") {
						t.Errorf("error %v", it.Err)
					}
				case it.Err != nil:
					got = append(got, "error: "+it.Err.Error())
				default:
					got = append(got, string(it.Record.EventID))
				}
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			want := []string{"small-1", "error big-1 RunInstances", "small-2"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("items %q; want %q", got, want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MB reading a 200 MB record; want it bounded (under 64 MB)", alloc>>20)
			}
		})
	}
}

func TestValueEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`{"a":"}\"}"} x`, 12},
		{`["[", ["]"]], 1`, 12},
		{`"a\\" rest`, 5},
		{`12345,`, 5},
	} {
		var s valueEnd
		// In pieces of one byte: the state carries across reads.
		off, done := 0, false
		for k := 0; k < len(tc.in) && !done; k++ {
			var n int
			n, done = s.scan([]byte(tc.in[k : k+1]))
			if done {
				off = k + n
			}
		}
		if !done || off != tc.want {
			t.Errorf("%q: end %d (found %v); want %d", tc.in, off, done, tc.want)
		}
	}
}
