// Command coldstart measures cold starts (issue 10 §4): it starts the Lambda
// Runtime Interface Emulator with a bootstrap, sends one event as soon as the
// emulator listens, and takes the time from starting the process to the
// first response. It does so N times for the ebsguard bootstrap and a
// hello-world baseline, alternating which goes first, for two events: an
// EventBridge event of another kind (skipped without any AWS call) and a
// sample's RunInstances event, evaluated through localaws (STS, EC2, KMS from
// the sample's world). The function's environment is internal/localrun.Env's.
//
// It prints notes (lines starting with #) and one line per figure:
// what, ours, baseline, ratio (ours/baseline).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// otherKind is an EventBridge event the rule would never send (the function
// skips it on its detail-type): the function's fixed cost, with no AWS call.
const otherKind = `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification",` +
	`"source":"aws.ec2","account":"222222222222","time":"2026-11-20T10:04:11Z","region":"us-east-1",` +
	`"resources":["arn:aws:ec2:us-east-1:222222222222:instance/i-0b1100000000000a1"],"detail":{"instance-id":"i-0b1100000000000a1","state":"running"}}`

func main() {
	rie := flag.String("rie", "", "the aws-lambda-rie binary")
	ours := flag.String("ours", "", "the ebsguard bootstrap")
	hello := flag.String("hello", "", "the hello-world bootstrap")
	n := flag.Int("n", 15, "cold starts of each bootstrap per event")
	sample := flag.String("sample", "events/samples/launch-encrypted-owned", "sample folder of the RunInstances event (a compliant one: nothing to publish)")
	only := flag.String("only", "", "run only this event: skipped or RunInstances")
	flag.Parse()
	if *rie == "" || *ours == "" || *hello == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	stopOnSignal()
	if err := run(os.Stdout, *rie, *ours, *hello, *sample, *only, *n); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// bootstrap is one function under test and its expected log line.
type bootstrap struct {
	name, path string
	ours       bool
}

// scenario is one event and the status ebsguard must log for it.
type scenario struct {
	name   string
	event  []byte
	status string
}

func run(out io.Writer, rie, ours, hello, sample, only string, n int) error {
	w, err := world.Load(filepath.Join(sample, "world.json"))
	if err != nil {
		return err
	}
	ev, err := os.ReadFile(filepath.Join(sample, "event.json"))
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	aws := localaws.New(w, localrun.CentralAccount)
	if err := aws.Start(""); err != nil {
		return fmt.Errorf("start localaws: %w", err)
	}
	defer aws.Close()
	sns, err := localrun.StartSNS(localrun.Region, localrun.CentralAccount)
	if err != nil {
		return fmt.Errorf("start SNS: %w", err)
	}
	defer sns.Close()
	env := localrun.Env(aws.URL(), sns, "")

	bins := []bootstrap{{"ours", ours, true}, {"hello", hello, false}}
	scenarios := []scenario{
		{"skipped", []byte(otherKind), "skipped"},
		{"RunInstances", ev, "compliant"},
	}
	if only != "" {
		scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool { return s.name != only })
		if len(scenarios) == 0 {
			return fmt.Errorf("-only %q: want skipped or RunInstances", only)
		}
	}
	// times[scenario][bootstrap] are the cold starts; inits the emulator's
	// INIT REPORT (bootstrap start to its first /next).
	times := map[string]map[string][]time.Duration{}
	inits := map[string]map[string][]time.Duration{}
	for _, s := range scenarios {
		times[s.name], inits[s.name] = map[string][]time.Duration{}, map[string][]time.Duration{}
	}
	for i := 0; i < n; i++ {
		for _, s := range scenarios {
			order := slices.Clone(bins)
			if i%2 == 1 {
				// Alternate who goes first, so that a machine warming up or
				// slowing down does not favour one.
				slices.Reverse(order)
			}
			for _, b := range order {
				r, err := coldStart(rie, b, env, s)
				for retry := 0; retry < 2 && errors.Is(err, errExited); retry++ {
					// One of its ports was taken between choosing and binding it.
					r, err = coldStart(rie, b, env, s)
				}
				if err != nil {
					return fmt.Errorf("%s, %s event, run %d: %w", b.name, s.name, i+1, err)
				}
				times[s.name][b.name] = append(times[s.name][b.name], r.total)
				if r.init > 0 {
					inits[s.name][b.name] = append(inits[s.name][b.name], r.init)
				}
			}
		}
	}
	sizes := map[string]int64{}
	for _, b := range bins {
		st, err := os.Stat(b.path)
		if err != nil {
			return err
		}
		sizes[b.name] = st.Size()
	}
	fmt.Fprintf(out, "# cold start: median of %d runs each, alternating, from starting aws-lambda-rie to the first response\n", n)
	if len(times["RunInstances"]["ours"]) > 0 {
		fmt.Fprintf(out, "# RunInstances event: %s, through localaws: %d AWS calls (STS, EC2, KMS) per cold start\n",
			filepath.Base(sample), total(aws.Counts())/n)
	}
	for _, s := range scenarios {
		for _, b := range bins {
			ts := times[s.name][b.name]
			fmt.Fprintf(out, "# %-12s %-5s median %6.1f ms (min %.1f, max %.1f); init phase (emulator's INIT REPORT) median %.1f ms\n",
				s.name, b.name, ms(median(ts)), ms(slices.Min(ts)), ms(slices.Max(ts)), ms(median(inits[s.name][b.name])))
		}
	}
	for _, s := range scenarios {
		o, h := ms(median(times[s.name]["ours"])), ms(median(times[s.name]["hello"]))
		fmt.Fprintf(out, "%-26s %8.1fms %8.1fms %7.2fx\n", "coldstart-"+s.name, o, h, o/h)
	}
	o, h := float64(sizes["ours"])/1e6, float64(sizes["hello"])/1e6
	fmt.Fprintf(out, "%-26s %8.1fMB %8.1fMB %7.2fx\n", "bootstrap-size", o, h, o/h)
	return nil
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// errExited is an emulator that stopped before it answered, e.g. because
// another process took one of its ports first.
var errExited = errors.New("the emulator exited before answering")

// result is one cold start.
type result struct {
	total time.Duration // process start to the first response
	init  time.Duration // the emulator's INIT REPORT: bootstrap start to its first /next
}

// initReport is the emulator's measure of the init phase: from starting the
// bootstrap to its first request for an event. (Its REPORT line's "Init
// Duration" is not that: it times the emulator's own bookkeeping.)
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// coldStart starts the emulator with the bootstrap, invokes it once as soon
// as it listens, and stops both.
func coldStart(rie string, b bootstrap, env []string, s scenario) (result, error) {
	addrs, err := freePorts(2)
	if err != nil {
		return result{}, err
	}
	rieAddr, apiAddr := addrs[0], addrs[1]
	var output syncBuffer
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, b.path)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &output, &output
	// Its own process group: the bootstrap the emulator starts is stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"

	running.Lock()
	start := time.Now()
	err = cmd.Start()
	if err == nil {
		running.pgid = cmd.Process.Pid
	}
	running.Unlock()
	if err != nil {
		return result{}, fmt.Errorf("start %s: %w", rie, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		running.Lock()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		running.pgid = 0
		running.Unlock()
		<-exited
	}()
	// The emulator opens its runtime API in a goroutine of its own: an event
	// sent before it listens starts a bootstrap that finds nobody there and
	// exits. Wait for both listeners, as a caller of a ready emulator would.
	for {
		c, err := net.DialTimeout("tcp", apiAddr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 20*time.Second {
			return result{}, fmt.Errorf("the runtime API at %s: %w\n%s", apiAddr, err, output.String())
		}
		select {
		case <-exited:
			return result{}, fmt.Errorf("%w:\n%s", errExited, output.String())
		case <-time.After(time.Millisecond):
		}
	}
	var body []byte
	for {
		resp, err := client.Post(url, "application/json", bytes.NewReader(s.event))
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return result{}, fmt.Errorf("read response: %w", err)
			}
			if resp.StatusCode != http.StatusOK {
				return result{}, fmt.Errorf("HTTP %d: %s\n%s", resp.StatusCode, body, output.String())
			}
			break
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Since(start) > 20*time.Second {
			return result{}, fmt.Errorf("invoke: %w\n%s", err, output.String())
		}
		// Not listening yet: poll finely, the figure is in milliseconds.
		select {
		case <-exited:
			return result{}, fmt.Errorf("%w:\n%s", errExited, output.String())
		case <-time.After(time.Millisecond):
		}
	}
	r := result{total: time.Since(start)}
	if bytes.Contains(body, []byte(`"errorMessage"`)) {
		return r, fmt.Errorf("function error: %s\n%s", body, output.String())
	}
	// What the emulator and the function print after answering is not timed;
	// wait for it to check that the event was evaluated as intended.
	want := []string{"INIT REPORT", "REPORT RequestId"}
	if b.ours {
		want = append(want, `"status":"`+s.status+`"`)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := output.String()
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(got, w) }) {
			if m := initReport.FindStringSubmatch(got); m != nil {
				f, _ := strconv.ParseFloat(m[1], 64)
				r.init = time.Duration(f * float64(time.Millisecond))
			}
			return r, nil
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("the output lacks one of %q:\n%s", want, got)
		}
	}
}

// running is the process group of the emulator being timed, 0 for none.
var running struct {
	sync.Mutex
	pgid int
}

// stopOnSignal stops the running emulator and its bootstrap on Ctrl-C or
// SIGTERM: they are in a process group of their own, which the terminal's
// signal does not reach.
func stopOnSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-c
		running.Lock()
		if running.pgid != 0 {
			syscall.Kill(-running.pgid, syscall.SIGKILL)
		}
		os.Exit(130)
	}()
}

// freePorts returns n distinct free loopback addresses: each stays taken
// until all are found, so that two are never the same port.
func freePorts(n int) ([]string, error) {
	var addrs []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// syncBuffer is the emulator's output, written by exec's copying goroutine
// while the run reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
