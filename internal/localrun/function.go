package localrun

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Function is our bootstrap running under the Lambda Runtime Interface
// Emulator, the same thing `sam local invoke` runs inside its container.
// Invocations are sent one at a time: the pinned emulator panics on
// concurrent invokes, as one Lambda execution environment never gets two.
type Function struct {
	cmd    *exec.Cmd
	url    string
	logs   chan map[string]json.RawMessage
	done   chan struct{}
	output io.Writer

	invoke sync.Mutex // one invocation at a time

	mu   sync.Mutex
	cur  *collector // the invocation under way, whose lines are gathered
	tail []string   // the last lines printed, to say why the emulator died
}

// tailLines is how many of the last lines are kept to say why the emulator
// died (a panic's reason comes before a stack of a dozen lines or more).
const tailLines = 64

// addrInUse is what a bind to a taken port fails with (EADDRINUSE's text).
const addrInUse = "address already in use"

// printed reports whether one of the last lines says text.
func (f *Function) printed(text string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.tail, func(l string) bool { return strings.Contains(l, text) })
}

// lastLines says, in one line, what the emulator printed last: its last
// line of PANIC, FATAL or ERROR level, else its last few lines.
func (f *Function) lastLines() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range slices.Backward(f.tail) {
		if strings.Contains(l, "[PANIC]") || strings.Contains(l, "[FATAL]") || strings.Contains(l, "[ERROR]") {
			return l
		}
	}
	if len(f.tail) == 0 {
		return "it printed nothing"
	}
	return strings.Join(f.tail[max(0, len(f.tail)-8):], " | ")
}

// collector gathers the JSON lines of one invocation until the emulator's
// REPORT line for it.
type collector struct {
	id    string
	lines []map[string]json.RawMessage
	end   chan struct{}
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
//
// The two ports are picked free and handed to the emulator, which binds them
// a moment later: in that moment another process may take one (tests run many
// at once, each opening listeners and connections). The emulator then exits,
// or worse, the port answers for somebody else. So a start counts only once
// the emulator itself holds both ports, and is tried again with new ports
// otherwise.
func StartFunction(ctx context.Context, rie, bootstrap string, env []string, output io.Writer) (*Function, error) {
	return untilBound(func() (*Function, error) { return startOnce(ctx, rie, bootstrap, env, output) })
}

// pickPorts returns the emulator's two loopback addresses (a test replaces it).
var pickPorts = func() (rieAddr, apiAddr string, err error) {
	if rieAddr, err = freePort(); err != nil {
		return "", "", err
	}
	apiAddr, err = freePort()
	for err == nil && apiAddr == rieAddr {
		// freePort closes its listener: the kernel may hand the port out again.
		apiAddr, err = freePort()
	}
	return rieAddr, apiAddr, err
}

func startOnce(ctx context.Context, rie, bootstrap string, env []string, output io.Writer) (*Function, error) {
	rieAddr, apiAddr, err := pickPorts()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop the bootstrap with it
	// A pipe of our own, not StdoutPipe: Wait would close that as soon as
	// the emulator exits, losing what it printed last (a panic's reason).
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("start %s: %w", rie, err)
	}
	f := &Function{cmd: cmd, url: "http://" + rieAddr + "/2015-03-31/functions/function/invocations",
		logs: make(chan map[string]json.RawMessage, 1024), done: make(chan struct{}), output: output}
	read := make(chan struct{})
	go func() { f.read(stdout); stdout.Close(); close(read) }()
	go func() {
		cmd.Wait()
		// The output ends when the bootstrap, which shares it, ends too.
		select {
		case <-read:
		case <-time.After(200 * time.Millisecond):
		}
		close(f.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	// The emulator opens its runtime API in a goroutine of its own: an event
	// sent once only the invoke port accepts can start the bootstrap before
	// the API listens, and the bootstrap then exits. Wait for both, held by
	// the emulator's own process.
	for {
		held, err := listensOn(cmd.Process.Pid, rieAddr, apiAddr)
		if err != nil {
			f.Close()
			return nil, err
		}
		if held {
			return f, nil
		}
		select {
		case <-f.done:
			err := fmt.Errorf("the emulator exited at start (%s): %s", cmd.ProcessState, f.lastLines())
			if f.printed(addrInUse) {
				// It panics on a port taken between its pick and the bind.
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return nil, err
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("the emulator did not listen on %s and %s", rieAddr, apiAddr)
		}
	}
}

var reportPrefix = []byte("REPORT RequestId: ")

// read passes every line through to output, of whatever length (a line is
// never cut or dropped, so neither process ever waits on the other), parses
// those that are JSON, and ends an invocation at its REPORT line.
func (f *Function) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if f.output != nil {
				f.output.Write(line)
			}
			f.line(bytes.TrimRight(line, "\r\n"))
		}
		if err != nil {
			break
		}
	}
	f.mu.Lock()
	if f.cur != nil {
		close(f.cur.end)
		f.cur = nil
	}
	f.mu.Unlock()
	close(f.logs)
}

func (f *Function) line(line []byte) {
	f.mu.Lock()
	if len(f.tail) == tailLines {
		f.tail = f.tail[1:]
	}
	f.tail = append(f.tail, string(line[:min(len(line), 300)]))
	f.mu.Unlock()
	if rest, ok := bytes.CutPrefix(line, reportPrefix); ok {
		id, _, _ := bytes.Cut(rest, []byte("\t"))
		f.mu.Lock()
		if f.cur != nil && string(bytes.TrimSpace(id)) == f.cur.id {
			close(f.cur.end)
			f.cur = nil
		}
		f.mu.Unlock()
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return
	}
	f.mu.Lock()
	if f.cur != nil {
		f.cur.lines = append(f.cur.lines, m)
	}
	f.mu.Unlock()
	select {
	case f.logs <- m:
	default: // nobody reads; drop rather than block the emulator
	}
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

// Invocation is one invocation's answer and the JSON lines the function
// logged during it.
type Invocation struct {
	RequestID string
	Response  []byte
	Logs      []map[string]json.RawMessage
}

// Invoke sends one event and returns the function's response.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	inv, err := f.InvokeLogged(ctx, event)
	return inv.Response, err
}

// InvokeLogged sends one event, waits for the emulator's report of it, and
// returns the response with every JSON line logged in between.
func (f *Function) InvokeLogged(ctx context.Context, event []byte) (Invocation, error) {
	f.invoke.Lock()
	defer f.invoke.Unlock()
	b := make([]byte, 16)
	rand.Read(b)
	c := &collector{id: hex.EncodeToString(b), end: make(chan struct{})}
	inv := Invocation{RequestID: c.id}
	f.mu.Lock()
	f.cur = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if f.cur == c {
			f.cur = nil
		}
		f.mu.Unlock()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
	if err != nil {
		return inv, err
	}
	req.Header.Set("X-Amzn-RequestId", c.id) // the emulator's REPORT line names it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return inv, f.failed(ctx, err)
	}
	defer resp.Body.Close()
	if inv.Response, err = io.ReadAll(resp.Body); err != nil {
		return inv, f.failed(ctx, err)
	}
	// The emulator prints the report before it answers; the reader may still
	// be behind.
	select {
	case <-c.end:
	case <-ctx.Done():
		return inv, ctx.Err()
	case <-time.After(10 * time.Second):
		return inv, errors.New("invoke: the emulator printed no report of the invocation")
	}
	f.mu.Lock()
	inv.Logs = c.lines
	f.mu.Unlock()
	if resp.StatusCode != http.StatusOK {
		return inv, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, inv.Response)
	}
	var fe struct{ ErrorMessage, ErrorType string }
	if json.Unmarshal(inv.Response, &fe) == nil && fe.ErrorMessage != "" {
		return inv, &FunctionError{Type: fe.ErrorType, Message: fe.ErrorMessage}
	}
	return inv, nil
}

// failed is an invocation that got no answer; when the emulator died it
// says so with its last lines (a panic's), which otherwise only the
// function's output holds.
func (f *Function) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	select {
	case <-f.done:
		return fmt.Errorf("invoke: %w (the emulator exited: %s)", err, f.lastLines())
	case <-time.After(500 * time.Millisecond):
		return fmt.Errorf("invoke: %w", err)
	}
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
