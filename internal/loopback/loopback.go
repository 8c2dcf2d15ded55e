// Package loopback serves the local stand-ins for AWS (localaws,
// localathena) on a loopback address only.
package loopback

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve listens on 127.0.0.1 at a free port (or addr, which must be a
// loopback address) and serves h until the returned server is shut down;
// url is the server's http:// address. name says who refused a
// non-loopback address.
func Serve(name, addr string, h http.Handler) (srv *http.Server, url string, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return nil, "", fmt.Errorf("%s listens on loopback only, not %q", name, addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return srv, "http://" + l.Addr().String(), nil
}
