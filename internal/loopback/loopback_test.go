package loopback

import (
	"net/http"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	for _, tt := range []struct {
		addr, wantErr string
	}{
		{"", ""},
		{"127.0.0.1:0", ""},
		{"[::1]:0", ""},
		{"0.0.0.0:0", `x listens on loopback only, not "0.0.0.0:0"`},
		{"example.com:80", `x listens on loopback only, not "example.com:80"`},
		{"127.0.0.1", `x listens on loopback only, not "127.0.0.1"`},
	} {
		srv, url, err := Serve("x", tt.addr, http.NotFoundHandler())
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Serve(%q) error = %v, want %s", tt.addr, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			if tt.addr == "[::1]:0" && strings.Contains(err.Error(), "listen:") {
				continue // no IPv6 loopback on this machine
			}
			t.Fatalf("Serve(%q): %v", tt.addr, err)
		}
		resp, err := http.Get(url + "/")
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", url, resp.StatusCode)
		}
		srv.Close()
	}
}
