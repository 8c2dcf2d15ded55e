package localrun_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/localrun"
)

// The emulator binds the ports StartFunction picked a moment after they
// were picked; another process may take one in between (CI runs many
// emulators at once). A start holds only once the emulator itself listens
// on both: with a port taken, StartFunction picks again and the function it
// returns is answered by its own emulator. (A taken invoke port used to be
// answered by whoever held it; a taken runtime API port killed the emulator
// after the start had been declared, and the invoke's connection was reset.)
func TestStartFunctionWhenAPortIsTaken(t *testing.T) {
	bootstrap, rie := binaries(t)
	// Somebody else's server, on the port the first pick hands out.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("null")) }))
	defer other.Close()
	taken := other.Listener.Addr().String()
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	// Enough to start; every AWS endpoint refuses at once.
	env := append(os.Environ(), "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+os.DevNull,
		"TOPIC_ARN=arn:aws:sns:us-east-1:111111111111:ebsguard-findings")
	// A connection's own end: no listener there, yet the port cannot be
	// bound (the likelier case, as picked ports and a connection's ports
	// come from the same range).
	conn, err := net.Dial("tcp", taken)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	connected := conn.LocalAddr().String()
	for _, tc := range []struct {
		name  string
		ports func() (string, string)
	}{
		{"invoke port", func() (string, string) { return taken, free() }},
		{"runtime API port", func() (string, string) { return free(), taken }},
		{"invoke port a connection uses", func() (string, string) { return connected, free() }},
		{"runtime API port a connection uses", func() (string, string) { return free(), connected }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			picks := 0
			defer localrun.PickPortsWith(func(next func() (string, string, error)) (string, string, error) {
				picks++
				if picks == 1 {
					a, b := tc.ports()
					return a, b, nil
				}
				return next()
			})()
			f, err := localrun.StartFunction(context.Background(), rie, bootstrap, env, nil)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			defer f.Close()
			if picks < 2 {
				t.Errorf("the taken port was not given up: %d picks", picks)
			}
			// The emulator's own answer: it prints a REPORT line for the
			// invocation, which the other server never does. The function
			// may fail (its environment is not a run's), but it answers.
			_, err = f.InvokeLogged(context.Background(), []byte(`{}`))
			var fe *localrun.FunctionError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("invoke: %v", err)
			}
		})
	}
}

// An emulator that fails for any other reason is not started again and
// again: the start fails once, with what it printed.
func TestStartFunctionBrokenEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	broken := filepath.Join(dir, "aws-lambda-rie")
	script := "#!/bin/sh\necho run >> " + runs + "\necho '[FATAL] (rapid) bootstrap: no such file'\nexit 3\n"
	if err := os.WriteFile(broken, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := localrun.StartFunction(context.Background(), broken, "bootstrap", os.Environ(), nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "bootstrap: no such file") {
		t.Fatalf("start: %v; want the exit status and the line it printed", err)
	}
	if strings.Contains(err.Error(), "taken") {
		t.Errorf("start: %v; nothing was taken", err)
	}
	if b, _ := os.ReadFile(runs); strings.Count(string(b), "run") != 1 {
		t.Errorf("started %d times; want once", strings.Count(string(b), "run"))
	}
}
