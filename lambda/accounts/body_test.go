package accounts

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowBody gives its bytes one at a time, slowly, and fails once closed, as
// the SDK's request body does when the SDK closes it after the answer came.
type slowBody struct {
	mu     sync.Mutex
	left   int
	closed bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return 0, errors.New("read on a closed request body")
	case b.left == 0:
		return 0, io.EOF
	}
	b.left--
	p[0] = 'x'
	return 1, nil
}

func (b *slowBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// An answer that comes before the request is written, whose request body the
// caller then closes (as the SDK does once it has the answer), is read
// whole: the client sends a copy of the body, so the transport never reads
// the caller's body after Do returns and never tears the connection down
// under the answer ("use of closed network connection", retried by the SDK,
// and past 3 attempts an error verdict).
func TestHTTPClientReadsTheAnswerWhenTheBodyIsClosed(t *testing.T) {
	answer := strings.Repeat("y", 4<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, answer) // before reading the request
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c := HTTPClient(nil, Timeouts{})
	body := &slowBody{left: 40}
	req, err := http.NewRequest(http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 40
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body.Close() // the SDK, done with the request
	got, err := io.ReadAll(resp.Body)
	if err != nil || len(got) != len(answer) {
		t.Fatalf("read %d of %d bytes of the answer: %v", len(got), len(answer), err)
	}
}
