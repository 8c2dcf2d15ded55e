package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEmulator answers invocations as the emulator does: the function's log
// line, then END and REPORT lines naming the request ID, then the response.
// It records how many invocations it served at once.
type fakeEmulator struct {
	out                *io.PipeWriter
	mu                 sync.Mutex
	running, maxAtOnce int
}

func (e *fakeEmulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.running++
	e.maxAtOnce = max(e.maxAtOnce, e.running)
	e.mu.Unlock()
	defer func() { e.mu.Lock(); e.running--; e.mu.Unlock() }()
	id := r.Header.Get("X-Amzn-RequestId")
	body, _ := io.ReadAll(r.Body)
	time.Sleep(5 * time.Millisecond) // room for another invocation to overlap, were it let in
	fmt.Fprintf(e.out, `{"message":"evaluated","requestId":%q,"verdict":{"eventID":%q}}`+"\n", id, body)
	fmt.Fprintf(e.out, "END RequestId: %s\nREPORT RequestId: %s\tDuration: 1.00 ms\t\n", id, id)
	w.Write([]byte("null"))
}

// Invocations are sent one at a time, however many goroutines invoke, and
// each gets exactly the lines logged during it.
func TestInvokeOneAtATime(t *testing.T) {
	pr, pw := io.Pipe()
	emu := &fakeEmulator{out: pw}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	f := &Function{url: srv.URL, logs: make(chan map[string]json.RawMessage, 1)}
	done := make(chan struct{})
	go func() { f.read(pr); close(done) }()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			event := fmt.Sprintf("event-%d", i)
			inv, err := f.InvokeLogged(context.Background(), []byte(event))
			if err != nil {
				t.Errorf("invoke %d: %v", i, err)
				return
			}
			if len(inv.Logs) != 1 || !strings.Contains(string(inv.Logs[0]["verdict"]), event) {
				t.Errorf("invoke %d got lines %v", i, inv.Logs)
			}
		}()
	}
	wg.Wait()
	pw.Close()
	<-done
	if emu.maxAtOnce != 1 {
		t.Errorf("the emulator served %d invocations at once; want 1", emu.maxAtOnce)
	}
}

// A line of any length passes through whole and the lines after it are
// still read: the function is never left blocked on a full pipe.
func TestReadLongLines(t *testing.T) {
	long := `{"message":"evaluated","verdict":{"eventID":"big","pad":"` + strings.Repeat("x", 8<<20) + `"}}`
	in := long + "\nnot JSON\n" + `{"message":"after"}` + "\nREPORT RequestId: r1\tDuration: 1 ms\n"
	var out bytes.Buffer
	f := &Function{output: &out, logs: make(chan map[string]json.RawMessage, 4)}
	c := &collector{id: "r1", end: make(chan struct{})}
	f.cur = c
	f.read(strings.NewReader(in))
	if out.String() != in {
		t.Errorf("output is %d bytes; want the %d bytes read", out.Len(), len(in))
	}
	select {
	case <-c.end:
	default:
		t.Fatal("the invocation did not end at its REPORT line")
	}
	if len(c.lines) != 2 || string(c.lines[1]["message"]) != `"after"` || len(c.lines[0]["verdict"]) < 8<<20 {
		t.Errorf("collected %d lines; want the long line whole and the one after", len(c.lines))
	}
}

// Verdicts logged in parts are made whole again.
func TestVerdictParts(t *testing.T) {
	logs := []map[string]json.RawMessage{
		{"message": json.RawMessage(`"evaluated"`), "verdict": json.RawMessage(`{"eventID":"e1","resources":[],"findings":[]}`)},
		{"message": json.RawMessage(`"verdict part"`), "verdict": json.RawMessage(`{"eventID":"e1","resources":[{"resource":"vol-1"}],"findings":[{"code":"X"}]}`)},
		{"message": json.RawMessage(`"verdict part"`), "verdict": json.RawMessage(`{"eventID":"e1","resources":[{"resource":"vol-2"}]}`)},
		{"message": json.RawMessage(`"finding"`)},
		{"message": json.RawMessage(`"evaluated"`), "verdict": json.RawMessage(`{"eventID":"e2","resources":[{"resource":"vol-3"}]}`)},
	}
	got := verdicts(logs)
	if len(got) != 2 {
		t.Fatalf("%d verdicts; want 2", len(got))
	}
	var v struct {
		EventID   string `json:"eventID"`
		Resources []struct{ Resource string }
		Findings  []struct{ Code string }
	}
	json.Unmarshal(got[0], &v)
	if v.EventID != "e1" || len(v.Resources) != 2 || v.Resources[1].Resource != "vol-2" || len(v.Findings) != 1 {
		t.Errorf("first verdict %s", got[0])
	}
	if eventID(got[1]) != "e2" {
		t.Errorf("second verdict %s", got[1])
	}
}

func TestEventID(t *testing.T) {
	for doc, want := range map[string]string{
		`{"record":{"detail":{"eventID":"a"}},"attempt":2}`: "a",
		`{"eventID":"b","resources":[]}`:                    "b",
		`{"Records":[{"eventID":"c"}]}`:                     "c",
		`{"attempt":1}`:                                     "",
		`not json`:                                          "",
	} {
		if got := eventID(json.RawMessage(doc)); got != want {
			t.Errorf("eventID(%s) = %q; want %q", doc, got, want)
		}
	}
}
