package localrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The fault tally (issue 8 §5) runs every sample through the real path (the
// bootstrap under the runtime interface emulator, the SDK, localaws, goaws
// behind the gateway, the re-check queue's event source mapping) once
// without faults and once per fault scenario, and accounts for every event.
//
// Each delivery of an event to the function (its first invocation, each
// re-check message the mapping delivers, each retry Lambda makes of a failed
// invocation) ends as exactly one of:
//
//   - published: the function succeeded and the topic received what the
//     verdict has to publish: a violation's findings not published by an
//     earlier check, or a permanent error as an operational notice
//     (status=error);
//   - clean: the function succeeded with a verdict that publishes nothing
//     (compliant, skipped, or a violation whose findings an earlier check of
//     the event already published);
//   - retried: the function failed: an invocation error, which Lambda
//     retries (deployment.AsyncRetries times, then the dead-letter queue and
//     its alarm), or a batch item failure, whose re-check message comes back
//     after the queue's visibility timeout;
//   - re-queued: the function succeeded and the re-check message of the next
//     attempt came back from the queue.
//
// An event is LOST when:
//
//   - a delivery ended as none of these: the function succeeded but logged
//     no verdict, or its verdict had to be published and nothing reached the
//     topic, or it was pending and no re-check came back; a failed re-check
//     message never came back; re-checks were still queued when the run's
//     bound ran out;
//   - an attempt number was delivered successfully twice (two re-check
//     chains: one event ending twice);
//   - its first invocation still failed after Lambda's retries, played here
//     once the faults are over (it would be dead-lettered: not evaluated);
//   - once its deliveries, re-checks and retries are over, a finding
//     (resource and code) or an operational notice (its error kind) that the
//     fault-free run publishes for the event never reached the topic. In the
//     access-denied scenarios an event whose calls were denied must instead
//     end as the operational notice of that denial, with the Verdicts metric
//     of status error in its log line (what the error alarm watches).
//
// A FALSE FINDING is a finding on the topic, by event, resource and code,
// that the fault-free run does not publish for that event. A false notice is
// an operational notice, by event and error kind, that the fault-free run
// does not publish, in a scenario whose faults are transient (a transient
// failure must end as a retry, never as an error someone is paged for).
//
// The scenarios are independent runs (goaws keeps its state in globals: one
// per process), so the test runs each in a child process of its own test
// binary, a few at a time: most of a run is waiting (re-check delays, the
// SDK's backoff, slow answers), not computing.

// Environment of the tally.
const (
	// tallyJobEnv names the job file of a child process that runs one
	// scenario (or a shard of it) and writes its report.
	tallyJobEnv = "EBSGUARD_TALLY_JOB"
	// tallyOutEnv, when set, is where TestFaultTally writes the tally's table
	// (bench/tally.sh prints it).
	tallyOutEnv = "EBSGUARD_TALLY_OUT"
	// tallyParallelEnv is how many child processes run at once (default 8:
	// they mostly wait, a few seconds of CPU each).
	tallyParallelEnv = "EBSGUARD_TALLY_PARALLEL"
	// tallyOnlyEnv, when set, names the scenarios to run (comma-separated),
	// besides the fault-free run.
	tallyOnlyEnv = "EBSGUARD_TALLY_ONLY"
	// tallySlowAttemptEnv=1 adds the slow-attempt scenario: answers slower
	// than the SDK's per-attempt timeout (5 s), which the function does not
	// let a setting lower, so it costs 5 s per sample.
	tallySlowAttemptEnv = "EBSGUARD_TALLY_SLOW_ATTEMPT"
)

// tallySettings scale the re-checks down, through the function's own
// settings. The deadline leaves room for a failed re-check to come back
// (the local visibility timeout is 3 s) before a copy that becomes visible
// later would be given up on.
var tallySettings = []string{"RECHECK_BACKOFF=1s,1s,4s", "RECHECK_DEADLINE=10s"}

// sdkAttempts is the attempts the function's SDK clients make per call (the
// standard retryer's default): a fault on that many calls in a row exhausts
// one call's retries, so the failure reaches the function.
const sdkAttempts = retry.DefaultMaxAttempts

// The APIs the function calls, by service, as localaws counts them.
var (
	ec2APIs = engineAPIs("ec2:")
	kmsAPIs = engineAPIs("kms:")
	stsAPIs = []string{"GetCallerIdentity", "AssumeRole"}
)

func engineAPIs(prefix string) []string {
	var out []string
	for _, a := range deployment.EngineReadActions {
		if api, ok := strings.CutPrefix(a, prefix); ok {
			out = append(out, api)
		}
	}
	return out
}

// faults are what a scenario injects before one sample.
type faults struct {
	aws, gateway []localaws.Fault
}

// scenario is one fault scenario of the tally.
type scenario struct {
	name, what string
	// settings are more of the function's environment variables.
	settings []string
	// coldStart gives every sample a fresh function, so that every sample
	// makes the STS calls that a warm function makes once.
	coldStart bool
	// inject returns the faults for sample i, given the calls it made in the
	// fault-free run. They last while the sample and its re-checks run.
	inject func(i int, calls map[string]int) faults
	// denied is the error kind of the operational notice an event whose
	// calls were denied must end as ("" for transient faults).
	denied string
	// shards splits the samples over that many child processes.
	shards int
	// alsoNotices are the error kinds of notices the scenario's faults may
	// add (a destination that kept failing), besides the fault-free run's.
	alsoNotices []string
}

// rotate picks, for sample i, one of the APIs in apis that the sample
// called in the fault-free run, a different one from sample to sample, so
// that across the samples the faults hit every stage of an evaluation (the
// request's sources, the account's settings, the results, the keys).
func rotate(i int, calls map[string]int, apis []string) (string, bool) {
	var called []string
	for _, a := range apis {
		if calls[a] > 0 {
			called = append(called, a)
		}
	}
	if len(called) == 0 {
		return "", false
	}
	return called[i%len(called)], true
}

// exhaust: one call of an API the sample makes fails on every attempt.
func exhaust(kind string, apis []string) func(int, map[string]int) faults {
	return func(i int, calls map[string]int) faults {
		api, ok := rotate(i, calls, apis)
		if !ok {
			return faults{}
		}
		return faults{aws: []localaws.Fault{{API: api, Kind: kind, Count: sdkAttempts}}}
	}
}

// slow: one call of an EC2 or KMS API the sample makes answers after delay.
func slow(delay time.Duration) func(int, map[string]int) faults {
	return func(i int, calls map[string]int) faults {
		api, ok := rotate(i, calls, append(slices.Clone(ec2APIs), kmsAPIs...))
		if !ok {
			return faults{}
		}
		return faults{aws: []localaws.Fault{{API: api, Kind: "slow", Count: 1, Delay: delay}}}
	}
}

// outage: the gateway closes the connection on every attempt of one call of
// an action (its first, whichever check of the event makes it).
func outage(action string) func(int, map[string]int) faults {
	return func(int, map[string]int) faults {
		return faults{gateway: []localaws.Fault{{API: action, Kind: "unavailable", Count: sdkAttempts}}}
	}
}

// denyAll denies every call of apis while the sample runs, as an SCP or a
// missing trust would.
func denyAll(apis []string) func(int, map[string]int) faults {
	return func(int, map[string]int) faults {
		var f faults
		for _, a := range apis {
			f.aws = append(f.aws, localaws.Fault{API: a, Kind: "accessdenied", Count: 1000})
		}
		return f
	}
}

// denyAllKind fails every call of apis with kind while the sample runs.
func denyAllKind(apis []string, kind string) func(int, map[string]int) faults {
	return func(int, map[string]int) faults {
		var f faults
		for _, a := range apis {
			f.aws = append(f.aws, localaws.Fault{API: a, Kind: kind, Count: 1000})
		}
		return f
	}
}

const faultFree = "fault-free"

// scenarios are the tally's runs; the first is the fault-free one the others
// are compared with.
func scenarios() []scenario {
	sc := []scenario{
		{name: faultFree, what: "no faults", inject: func(int, map[string]int) faults { return faults{} }, shards: 4},
		{name: "ec2-throttle", what: "EC2 RequestLimitExceeded on every attempt of one call", inject: exhaust("throttle", ec2APIs), shards: 4},
		{name: "ec2-5xx", what: "EC2 HTTP 500 on every attempt of one call", inject: exhaust("5xx", ec2APIs), shards: 2},
		{name: "kms-throttle", what: "KMS ThrottlingException on every attempt of one DescribeKey", inject: exhaust("throttle", kmsAPIs), shards: 4},
		{name: "kms-5xx", what: "KMS KMSInternalException (HTTP 500) on every attempt of one DescribeKey", inject: exhaust("5xx", kmsAPIs), shards: 2},
		{name: "sts-throttle", what: "STS Throttling on every attempt of GetCallerIdentity or AssumeRole (cold starts; the EC2/KMS call it signs retries a failed AssumeRole)", coldStart: true,
			inject: func(i int, calls map[string]int) faults { return stsFault(i, calls, "throttle") }, shards: 4},
		{name: "sts-5xx", what: "STS HTTP 500 on every attempt of GetCallerIdentity or AssumeRole (cold starts; as above)", coldStart: true,
			inject: func(i int, calls map[string]int) faults { return stsFault(i, calls, "5xx") }, shards: 2},
		// The function has no setting for the SDK's per-attempt timeout
		// (lambda/accounts.DefaultTimeouts, 5 s for an answer's headers), so
		// this scenario lowers the function's own timeout instead: with 6 s
		// the evaluation's deadline (the invocation's less 5 s) is 1 s away,
		// and a 2 s answer must end as a retryable error, not as "Task timed
		// out" nor as a verdict.
		{name: "slow", what: "one EC2/KMS answer after 2 s, the function's timeout 6 s (1 s to evaluate)",
			settings: []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=6"}, inject: slow(2 * time.Second), shards: 3},
		{name: "sns-unavailable", what: "SNS closes the connection on every attempt of one Publish", inject: outage("Publish"), shards: 2},
		{name: "recheck-queue-unavailable", what: "SQS closes the connection on every attempt of one SendMessage", inject: outage("SendMessage"), shards: 2},
		{name: "sts-accessdenied", what: "STS AssumeRole of the reader role denied", inject: denyAll([]string{"AssumeRole"}), denied: "reader-role", shards: 1},
		{name: "ec2-accessdenied", what: "every EC2 call of the reader role denied (UnauthorizedOperation)", inject: denyAll(ec2APIs), denied: "access-denied", shards: 1},
		{name: "securityhub-failing", what: "Security Hub on, every BatchImportFindings fails (HTTP 500): the topic still gets each finding once, then one notice",
			settings: []string{"SECURITY_HUB=true"}, inject: denyAllKind([]string{"BatchImportFindings"}, "5xx"), alsoNotices: []string{"security-hub"}, shards: 2},
	}
	if only := os.Getenv(tallyOnlyEnv); only != "" {
		names := strings.Split(only, ",")
		sc = slices.DeleteFunc(sc, func(s scenario) bool { return s.name != faultFree && !slices.Contains(names, s.name) })
	}
	if os.Getenv(tallySlowAttemptEnv) == "1" {
		sc = append(sc, scenario{name: "slow-attempt", what: "one EC2/KMS answer after 5.5 s, beyond the SDK's 5 s per-attempt timeout",
			inject: slow(5500 * time.Millisecond), shards: 6})
	}
	return sc
}

// stsFault: every attempt of one STS call of a cold start fails, for a
// sample that reads a member account (it made EC2 or KMS calls).
func stsFault(i int, calls map[string]int, kind string) faults {
	if _, ok := rotate(0, calls, append(slices.Clone(ec2APIs), kmsAPIs...)); !ok {
		return faults{}
	}
	return faults{aws: []localaws.Fault{{API: stsAPIs[i%len(stsAPIs)], Kind: kind, Count: sdkAttempts}}}
}

// tallyJob is what a child process runs: one scenario over some samples.
type tallyJob struct {
	Scenario       string
	Samples        []int            // indices into the samples
	Calls          []map[string]int // per sample: the fault-free run's calls
	RIE, Bootstrap string
	Out            string
}

// tallyReport is what a child process found, per event.
type tallyReport struct {
	Events []eventReport
	// DeliveryTable: the function recorded its deliveries in dynalite's
	// table, so no finding may be published twice.
	DeliveryTable bool
}

type eventReport struct {
	Sample     int
	Name       string
	Deliveries []delivery   // the first invocation, then the re-checks, in order
	Retries    [][]delivery // Lambda's retries of a failed first invocation, each with its re-checks
	// Affected is how many calls the injected faults affected.
	Affected int
	// Calls are the localaws calls the sample made (first look and re-checks).
	Calls map[string]int
	// ErrorMetric: an "evaluated" log line of the event has status error and
	// the EMF directive of the error alarm's metric.
	ErrorMetric bool
	RunErr      string // a failure of the run itself, not of the function
}

// delivery is one invocation's part for an event.
type delivery struct {
	Attempt       int // 0 for the first invocation, else the re-check's
	FunctionError bool
	Verdicts      []json.RawMessage
	Notes         []localrun.Notification
	Err           string // an error that is not the function's
}

// TestFaultTally: see the comment at the top of this file.
func TestFaultTally(t *testing.T) {
	if job := os.Getenv(tallyJobEnv); job != "" {
		runTallyJob(t, job)
		return
	}
	bootstrap, rie := binaries(t)
	samples, err := localrun.LoadSamples("../../events/samples", "")
	if err != nil {
		t.Fatal(err)
	}
	scs := scenarios()
	dir := t.TempDir()
	parallel := 8
	if n, err := strconv.Atoi(os.Getenv(tallyParallelEnv)); err == nil && n > 0 {
		parallel = n
	}
	all := make([]int, len(samples))
	for i := range all {
		all[i] = i
	}

	// The fault-free run first: it says which calls each sample makes.
	reports := runScenarios(t, dir, scs[:1], all, nil, rie, bootstrap, parallel)
	base := reports[faultFree]
	calls := make([]map[string]int, len(samples))
	for _, e := range base {
		calls[e.Sample] = e.Calls
	}
	for name, r := range runScenarios(t, dir, scs[1:], all, calls, rie, bootstrap, parallel) {
		reports[name] = r
	}
	if t.Failed() {
		return
	}

	expected := expectations(base)
	withTable := localrun.FindDynalite(".") != ""
	if !withTable {
		t.Log("dynalite is not installed (make dynalite): no delivery table, so duplicate publications are counted, not failed")
	}
	var rows []tallyRow
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			row := tallyRow{scenario: sc.name}
			for _, e := range reports[sc.name] {
				if e.Affected > 0 {
					row.faulted++
				}
				o := judge(e, expected[e.Sample], sc)
				row.add(o)
				for _, p := range o.lost {
					t.Errorf("%s: LOST: %s", e.Name, p)
				}
				for _, p := range o.falseFindings {
					t.Errorf("%s: FALSE FINDING: %s", e.Name, p)
				}
				for _, p := range o.falseNotices {
					t.Errorf("%s: FALSE NOTICE: %s", e.Name, p)
				}
				if withTable {
					for _, p := range o.duplicates {
						t.Errorf("%s: DUPLICATE PUBLICATION: %s", e.Name, p)
					}
				}
			}
			if row.events != len(samples) {
				t.Errorf("%d events reported for %d samples", row.events, len(samples))
			}
			checkScenario(t, sc, row)
			rows = append(rows, row)
		})
	}
	table := formatTally(scs, rows)
	t.Logf("fault tally:\n%s", table)
	if out := os.Getenv(tallyOutEnv); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// checkScenario: the faults must have bitten, and where they exhaust a
// call's retries the function must have failed (or re-queued) rather than
// carried on: a scenario whose faults change nothing tests nothing.
func checkScenario(t *testing.T, sc scenario, row tallyRow) {
	t.Helper()
	if sc.name == faultFree {
		if row.faulted != 0 || row.retried != 0 || row.published == 0 || row.requeued == 0 || row.clean == 0 {
			t.Errorf("fault-free run: %+v; want published, clean and re-queued events and no retry", row)
		}
		return
	}
	if row.faulted == 0 {
		t.Errorf("the faults affected no call")
	}
	switch {
	case sc.denied != "":
		if row.published < row.faulted {
			t.Errorf("%d events had calls denied but %d were published", row.faulted, row.published)
		}
	case sc.name == "slow-attempt":
		// The SDK's second attempt answers: nothing reaches the function.
	case sc.name == "securityhub-failing":
		// Security Hub fails alone: retried through the queue, never the
		// function's error.
		if row.retried != 0 {
			t.Errorf("%d events retried: a Security Hub failure must not fail the function", row.retried)
		}
	default:
		if row.retried == 0 {
			t.Errorf("no event was retried: the faults did not reach the function")
		}
	}
}

// runScenarios runs the scenarios' shards as child processes, `parallel` at
// once, those of the scenarios cut into the most shards (the slowest) first,
// and returns each scenario's events by sample.
func runScenarios(t *testing.T, dir string, scs []scenario, samples []int, calls []map[string]int, rie, bootstrap string, parallel int) map[string][]eventReport {
	t.Helper()
	type shard struct {
		sc     scenario
		n, of  int
		job    tallyJob
		report tallyReport
	}
	var shards []*shard
	for _, sc := range scs {
		of := max(sc.shards, 1)
		for n := range of {
			var part []int
			for j := n; j < len(samples); j += of {
				part = append(part, samples[j])
			}
			shards = append(shards, &shard{sc: sc, n: n, of: of, job: tallyJob{Scenario: sc.name, Samples: part, Calls: calls,
				RIE: rie, Bootstrap: bootstrap, Out: filepath.Join(dir, fmt.Sprintf("%s-%d.json", sc.name, n))}})
		}
	}
	sort.SliceStable(shards, func(a, b int) bool { return shards[a].of > shards[b].of })
	queue := make(chan *shard, len(shards))
	for _, s := range shards {
		queue <- s
	}
	close(queue)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range queue {
				began := time.Now()
				r, err := runChild(s.job, filepath.Join(dir, fmt.Sprintf("%s-%d.job", s.sc.name, s.n)))
				t.Logf("%s shard %d/%d: %d samples in %v", s.sc.name, s.n+1, s.of, len(s.job.Samples), time.Since(began).Round(100*time.Millisecond))
				if err != nil {
					t.Errorf("%s shard %d: %v", s.sc.name, s.n+1, err)
					continue
				}
				s.report = r
			}
		}()
	}
	wg.Wait()
	out := map[string][]eventReport{}
	for _, s := range shards {
		out[s.sc.name] = append(out[s.sc.name], s.report.Events...)
	}
	for _, events := range out {
		sort.Slice(events, func(a, b int) bool { return events[a].Sample < events[b].Sample })
	}
	return out
}

// runChild runs this test binary on one job and reads its report.
func runChild(job tallyJob, jobFile string) (tallyReport, error) {
	var r tallyReport
	b, _ := json.Marshal(job)
	if err := os.WriteFile(jobFile, b, 0o644); err != nil {
		return r, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultTally$", "-test.count=1", "-test.timeout=9m")
	cmd.Env = append(os.Environ(), tallyJobEnv+"="+jobFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("%v\n%s", err, out.Bytes())
	}
	b, err := os.ReadFile(job.Out)
	if err != nil {
		return r, fmt.Errorf("%v\n%s", err, out.Bytes())
	}
	return r, json.Unmarshal(b, &r)
}

// lockedBuffer collects the function's output, which the emulator's reader
// writes while the test may read.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.b.Bytes())
}

// runTallyJob is the child process: it runs the job's samples under the
// scenario's faults, then plays Lambda's retries of the invocations that
// failed once the faults are over, and writes what every event did.
func runTallyJob(t *testing.T, jobFile string) {
	b, err := os.ReadFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	var job tallyJob
	if err := json.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	var sc scenario
	for _, s := range scenarios() {
		if s.name == job.Scenario {
			sc = s
		}
	}
	if sc.name == "" {
		t.Fatalf("no scenario %q", job.Scenario)
	}
	all, err := localrun.LoadSamples("../../events/samples", "")
	if err != nil {
		t.Fatal(err)
	}
	samples := make([]localrun.Sample, len(job.Samples))
	for k, i := range job.Samples {
		samples[k] = all[i]
	}
	settings := append(slices.Clone(tallySettings), sc.settings...)
	var fnOut lockedBuffer
	ctx := context.Background()
	// The delivery table, as deployed, shared by the run and Lambda's
	// retries: with it no finding may be published twice.
	var db *localrun.DynamoDB
	if cli := localrun.FindDynalite("."); cli != "" {
		if db, err = localrun.StartDynamoDB(ctx, cli); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
	}

	// The scenario's run: before each sample, the previous sample's faults end
	// (an outage is over when the next event comes) and its own begin.
	events := make([]eventReport, len(samples))
	var gw *localrun.Gateway
	injected := 0
	end := func(k int, aws *localaws.Server) {
		events[k].Affected = injected - aws.ClearFaults() - gw.ClearFaults()
		events[k].Calls = aws.Counts()
		aws.ResetCounts()
	}
	results, aws, err := localrun.Run(ctx, localrun.Options{RIE: job.RIE, Bootstrap: job.Bootstrap, Samples: samples,
		FunctionOutput: &fnOut, Settings: settings, ColdStart: sc.coldStart, RecheckTimeout: time.Minute, DynamoDB: db,
		BeforeSample: func(k int, s localrun.Sample, aws *localaws.Server, sns *localrun.SNS) {
			gw = sns.Gateway
			if k > 0 {
				end(k-1, aws)
			}
			aws.ResetCounts()
			injected = 0
			var calls map[string]int
			if job.Calls != nil {
				calls = job.Calls[job.Samples[k]]
			}
			f := sc.inject(job.Samples[k], calls)
			for _, x := range f.aws {
				aws.Inject(x)
				injected += x.Count
			}
			for _, x := range f.gateway {
				sns.Gateway.Inject(x)
				injected += x.Count
			}
		}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(results) != len(samples) {
		t.Fatalf("%d results for %d samples", len(results), len(samples))
	}
	end(len(samples)-1, aws)
	for k, r := range results {
		events[k].Sample, events[k].Name = job.Samples[k], r.Sample
		events[k].Deliveries, events[k].RunErr = deliveries(r)
	}

	// Lambda's retries of a failed first invocation, with the faults over.
	for range deployment.AsyncRetries {
		var again []int
		for k, e := range events {
			last := e.Deliveries
			if len(e.Retries) > 0 {
				last = e.Retries[len(e.Retries)-1]
			}
			if e.RunErr == "" && last[0].FunctionError {
				again = append(again, k)
			}
		}
		if len(again) == 0 {
			break
		}
		retry := make([]localrun.Sample, len(again))
		for j, k := range again {
			retry[j] = samples[k]
		}
		results, _, err := localrun.Run(ctx, localrun.Options{RIE: job.RIE, Bootstrap: job.Bootstrap, Samples: retry,
			FunctionOutput: &fnOut, Settings: settings, ColdStart: sc.coldStart, RecheckTimeout: time.Minute, DynamoDB: db})
		if err != nil {
			t.Fatalf("retry run: %v", err)
		}
		for j, k := range again {
			ds, runErr := deliveries(results[j])
			events[k].Retries = append(events[k].Retries, ds)
			if runErr != "" {
				events[k].RunErr = "retry: " + runErr
			}
		}
	}

	withMetric := errorMetricLines(fnOut.Bytes())
	for k := range events {
		for _, d := range events[k].Deliveries {
			for _, v := range d.Verdicts {
				events[k].ErrorMetric = events[k].ErrorMetric || withMetric[verdictOf(v).EventID]
			}
		}
	}
	b, _ = json.Marshal(tallyReport{Events: events, DeliveryTable: db != nil})
	if err := os.WriteFile(job.Out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// deliveries splits a sample's result into its deliveries: the first
// invocation, then each re-check.
func deliveries(r localrun.Result) ([]delivery, string) {
	first := delivery{}
	runErr := ""
	var fe *localrun.FunctionError
	switch {
	case errors.As(r.Err, &fe):
		first.FunctionError = true
	case r.Err != nil:
		runErr = r.Err.Error()
	}
	fromRechecks := map[string]bool{}
	n := 0
	for _, rc := range r.Rechecks {
		n += len(rc.Verdicts)
		for _, x := range rc.Notifications {
			fromRechecks[x.MessageID] = true
		}
	}
	first.Verdicts = r.Verdicts[:len(r.Verdicts)-n]
	for _, x := range r.Notifications {
		if !fromRechecks[x.MessageID] {
			first.Notes = append(first.Notes, x)
		}
	}
	out := []delivery{first}
	for _, rc := range r.Rechecks {
		d := delivery{Attempt: rc.Attempt, FunctionError: rc.Failed, Verdicts: rc.Verdicts, Notes: rc.Notifications}
		if rc.Err != nil && !errors.As(rc.Err, &fe) {
			d.Err = rc.Err.Error()
		}
		out = append(out, d)
	}
	return out, runErr
}

// errorMetricLines returns the events whose "evaluated" line has status
// error and emits, in Embedded Metric Format, the metric the error alarm
// watches with the alarm's dimension value.
func errorMetricLines(out []byte) map[string]bool {
	var alarm deployment.Alarm
	for _, a := range deployment.Alarms {
		if a.ID == "ErrorVerdictsAlarm" {
			alarm = a
		}
	}
	got := map[string]bool{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		var l map[string]json.RawMessage
		if json.Unmarshal(line, &l) != nil || string(l["message"]) != `"evaluated"` {
			continue
		}
		var dim, id string
		json.Unmarshal(l[alarm.Dimension], &dim)
		json.Unmarshal(l["eventID"], &id)
		var value float64
		if dim != alarm.DimensionValue || json.Unmarshal(l[alarm.Metric], &value) != nil || value != 1 {
			continue
		}
		var meta struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name string }
			}
		}
		json.Unmarshal(l["_aws"], &meta)
		for _, d := range meta.CloudWatchMetrics {
			if d.Namespace == alarm.Namespace && len(d.Metrics) == 1 && d.Metrics[0].Name == alarm.Metric &&
				len(d.Dimensions) == 1 && slices.Equal(d.Dimensions[0], []string{alarm.Dimension}) {
				got[id] = true
			}
		}
	}
	return got
}

func verdictOf(raw json.RawMessage) verify.Verdict {
	var v verify.Verdict
	json.Unmarshal(raw, &v)
	return v
}

// expected is what the fault-free run publishes for an event.
type expected struct {
	findings, notices []string
}

func expectations(base []eventReport) map[int]expected {
	out := map[int]expected{}
	for _, e := range base {
		var x expected
		for _, d := range e.Deliveries {
			f, n := published(d)
			x.findings, x.notices = append(x.findings, f...), append(x.notices, n...)
		}
		out[e.Sample] = x
	}
	return out
}

// published returns what one delivery put on the topic: findings as
// "resource code", notices as their error kind.
func published(d delivery) (findings, notices []string) {
	for _, n := range d.Notes {
		v := verdictOf(json.RawMessage(n.Message))
		switch n.MessageAttributes["status"] {
		case verify.StatusViolation:
			for _, f := range v.Findings {
				findings = append(findings, f.Resource+" "+f.Code)
			}
		case verify.StatusError:
			notices = append(notices, n.MessageAttributes["error"])
		}
	}
	return findings, notices
}

// outcome is how an event fared: where its first delivery ended, and what
// went wrong.
type outcome struct {
	first                             string // published, clean, retried, re-queued
	lost, falseFindings, falseNotices []string
	// duplicates are findings published more than once, each repeat once.
	duplicates []string
}

// judge accounts for one event of a scenario.
func judge(e eventReport, want expected, sc scenario) outcome {
	var o outcome
	if e.RunErr != "" {
		o.lost = append(o.lost, e.RunErr)
	}
	var findings, notices []string
	chains := append([][]delivery{e.Deliveries}, e.Retries...)
	for c, ds := range chains {
		first, problems, f, n := chain(ds, findings)
		if c == 0 {
			o.first = first
		}
		o.lost = append(o.lost, problems...)
		findings, notices = append(findings, f...), append(notices, n...)
		if first == "retried" && c == len(chains)-1 && e.RunErr == "" {
			o.lost = append(o.lost, fmt.Sprintf("still failing after %d retries by Lambda: dead-lettered", len(e.Retries)))
		}
	}
	seen := map[string]bool{}
	for _, f := range findings {
		if seen[f] {
			o.duplicates = append(o.duplicates, f)
		}
		seen[f] = true
	}
	for _, f := range findings {
		if !slices.Contains(want.findings, f) {
			o.falseFindings = append(o.falseFindings, f+" (the fault-free run publishes "+fmt.Sprint(want.findings)+")")
		}
	}
	if sc.denied != "" && e.Affected > 0 {
		// The denial replaces what the event would have published.
		if !slices.Contains(notices, sc.denied) {
			o.lost = append(o.lost, fmt.Sprintf("calls denied, but no %s notice: notices %v", sc.denied, notices))
		}
		if !e.ErrorMetric {
			o.lost = append(o.lost, "calls denied, but no evaluated line with the error alarm's metric (Verdicts, status=error)")
		}
		return o
	}
	for _, n := range notices {
		if !slices.Contains(want.notices, n) && !slices.Contains(sc.alsoNotices, n) {
			o.falseNotices = append(o.falseNotices, n)
		}
	}
	for _, f := range want.findings {
		if !slices.Contains(findings, f) {
			o.lost = append(o.lost, "finding never published: "+f)
		}
	}
	for _, n := range want.notices {
		if !slices.Contains(notices, n) {
			o.lost = append(o.lost, "notice never published: "+n)
		}
	}
	return o
}

// chain classifies the deliveries of one invocation of an event (the
// first, or one of Lambda's retries) and its re-checks, given the findings
// published before it; it returns where the invocation ended, what was
// lost on the way, and what it published.
func chain(ds []delivery, before []string) (first string, lost, findings, notices []string) {
	done := map[int]int{}       // attempt → successful deliveries
	out := slices.Clone(before) // findings on the topic so far
	for j, d := range ds {
		name := "first invocation"
		if d.Attempt > 0 {
			name = fmt.Sprintf("re-check #%d", d.Attempt)
		}
		if d.Err != "" {
			lost = append(lost, name+": "+d.Err)
		}
		f, n := published(d)
		findings, notices = append(findings, f...), append(notices, n...)
		later := func(attempt int) bool {
			return slices.ContainsFunc(ds[j+1:], func(x delivery) bool { return x.Attempt == attempt })
		}
		var ended string
		switch {
		case d.FunctionError:
			ended = "retried"
			if d.Attempt > 0 && !later(d.Attempt) {
				lost = append(lost, name+" failed and never came back")
			}
		case len(d.Verdicts) == 0:
			lost = append(lost, name+": the function succeeded but logged no verdict")
		default:
			done[d.Attempt]++
			if done[d.Attempt] == 2 {
				lost = append(lost, name+" delivered successfully twice: two re-check chains")
			}
			v := verdictOf(d.Verdicts[len(d.Verdicts)-1])
			fresh := false
			for _, x := range v.Findings {
				fresh = fresh || !slices.Contains(out, x.Resource+" "+x.Code)
			}
			switch {
			case later(d.Attempt + 1):
				ended = "re-queued"
			case v.Status == verify.StatusError:
				ended = "published"
				if len(n) == 0 {
					lost = append(lost, name+": error verdict ("+v.Reason+") not published as a notice")
				}
			case v.Status == verify.StatusViolation && fresh:
				ended = "published"
				if len(f) == 0 {
					lost = append(lost, name+": violation not published")
				}
			case v.Status == verify.StatusViolation, v.Status == verify.StatusCompliant, v.Status == verify.StatusSkipped:
				ended = "clean"
			default:
				lost = append(lost, name+": "+v.Status+" verdict, and no re-check came back")
			}
		}
		out = append(out, f...)
		if j == 0 {
			first = ended
		}
	}
	return first, lost, findings, notices
}

// tallyRow counts one scenario's events by where they ended.
type tallyRow struct {
	scenario                                             string
	events, faulted, published, clean, retried, requeued int
	lost, falseFindings, falseNotices, duplicates        int
}

func (r *tallyRow) add(o outcome) {
	r.events++
	switch {
	case len(o.lost) > 0:
		r.lost++
	case o.first == "published":
		r.published++
	case o.first == "clean":
		r.clean++
	case o.first == "retried":
		r.retried++
	case o.first == "re-queued":
		r.requeued++
	}
	r.falseFindings += len(o.falseFindings)
	r.falseNotices += len(o.falseNotices)
	r.duplicates += len(o.duplicates)
}

func formatTally(scs []scenario, rows []tallyRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %6s %7s %9s %5s %7s %9s %4s %14s %13s %10s\n",
		"scenario", "events", "faulted", "published", "clean", "retried", "re-queued", "lost", "false findings", "false notices", "duplicates")
	var total tallyRow
	total.scenario = "total"
	line := func(r tallyRow) {
		fmt.Fprintf(&b, "%-26s %6d %7d %9d %5d %7d %9d %4d %14d %13d %10d\n",
			r.scenario, r.events, r.faulted, r.published, r.clean, r.retried, r.requeued, r.lost, r.falseFindings, r.falseNotices, r.duplicates)
	}
	for _, r := range rows {
		line(r)
		total.events += r.events
		total.faulted += r.faulted
		total.published += r.published
		total.clean += r.clean
		total.retried += r.retried
		total.requeued += r.requeued
		total.lost += r.lost
		total.falseFindings += r.falseFindings
		total.falseNotices += r.falseNotices
		total.duplicates += r.duplicates
	}
	line(total)
	b.WriteString("\nWhere each event's first invocation ended: published (a violation or an operational notice on the topic), clean\n" +
		"(nothing to publish), retried (a function error: Lambda's retries are played once the faults are over and must end\n" +
		"as the fault-free run does), re-queued (a re-check came back; every re-check is accounted for the same way).\n" +
		"faulted: events whose calls the faults affected. duplicates: findings published more than once for one event\n" +
		"(must be 0 with the delivery table, make dynalite). Scenarios:\n")
	for _, sc := range scs {
		fmt.Fprintf(&b, "  %-26s %s\n", sc.name, sc.what)
	}
	return b.String()
}
