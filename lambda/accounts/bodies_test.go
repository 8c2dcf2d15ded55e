package accounts_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/accounts"
)

// closedBody is a request body as the SDK's is once Do has returned: Read
// says the body is over, WriteTo fails with io.EOF.
type closedBody struct{ r *bytes.Reader }

func (b *closedBody) Read(p []byte) (int, error)       { return b.r.Read(p) }
func (b *closedBody) Close() error                     { return nil }
func (b *closedBody) WriteTo(io.Writer) (int64, error) { return 0, io.EOF }

// The HTTP client sends request bodies through Read only: net/http's last
// copy of a body (after Content-Length bytes) may run after the SDK closed
// it, and a failing WriteTo there closed the connection under the response
// being read, losing the answer. The connection now serves the next request.
func TestHTTPClientKeepsTheConnectionOfAnsweredRequests(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(bytes.Repeat(body, 4))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	c := accounts.HTTPClient(nil, accounts.Timeouts{})
	payload := strings.Repeat("Filter.1.Value.1=i-0123456789abcdef0&", 300) // more than the transport's 4 KB write buffer
	for i := range 3 {
		req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Body = &closedBody{bytes.NewReader([]byte(payload))}
		req.ContentLength = int64(len(payload))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(got) != 4*len(payload) {
			t.Fatalf("request %d: read %d bytes, %v; want %d", i, len(got), err, 4*len(payload))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("3 requests used %d connections; want 1 (a request body's WriteTo error closed the connection)", n)
	}
}
