package localrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"time"
)

// Function is our bootstrap running under the Lambda Runtime Interface
// Emulator, the same thing `sam local invoke` runs inside its container.
type Function struct {
	cmd    *exec.Cmd
	url    string
	logs   chan map[string]json.RawMessage
	done   chan struct{}
	output io.Writer
}

// freePort returns a free loopback address.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// StartFunction starts the emulator with both of its listeners on loopback
// (its defaults listen on 0.0.0.0) and the bootstrap as its argument. env is
// the function's environment. Lines the function logs as JSON are parsed and
// offered on Logs; everything the emulator prints goes to output.
func StartFunction(ctx context.Context, rie, bootstrap string, env []string, output io.Writer) (*Function, error) {
	rieAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop the bootstrap with it
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", rie, err)
	}
	f := &Function{cmd: cmd, url: "http://" + rieAddr + "/2015-03-31/functions/function/invocations",
		logs: make(chan map[string]json.RawMessage, 1024), done: make(chan struct{}), output: output}
	go f.scan(stdout)
	go func() { cmd.Wait(); close(f.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", rieAddr, 200*time.Millisecond); err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("the emulator exited at start")
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("the emulator did not listen on %s", rieAddr)
		}
	}
}

func (f *Function) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Bytes()
		if f.output != nil {
			f.output.Write(append(bytes.Clone(line), '\n'))
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(line, &m) == nil {
			select {
			case f.logs <- m:
			default: // nobody reads; drop rather than block the emulator
			}
		}
	}
	close(f.logs)
}

// Logs yields the function's JSON log lines.
func (f *Function) Logs() <-chan map[string]json.RawMessage { return f.logs }

// FunctionError is an invocation that the function failed: the emulator
// still answers HTTP 200, with errorMessage in the body.
type FunctionError struct {
	Type, Message string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// Invoke sends one event and returns the function's response.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	var fe struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(body, &fe) == nil && fe.ErrorMessage != "" {
		return body, &FunctionError{Type: fe.ErrorType, Message: fe.ErrorMessage}
	}
	return body, nil
}

// Close stops the emulator and the bootstrap it started.
func (f *Function) Close() error {
	if f.cmd.Process == nil {
		return nil
	}
	syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-f.done
	}
	return nil
}
