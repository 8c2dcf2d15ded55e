package localrun_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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
	for _, tc := range []struct {
		name  string
		ports func() (string, string)
	}{
		{"invoke port", func() (string, string) { return taken, free() }},
		{"runtime API port", func() (string, string) { return free(), taken }},
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
