// Command calls measures the AWS calls the engine makes per event (issue 10
// §3): it sends a stream of events built from events/samples through one warm
// engine with the Lambda's default cache TTL, using the real SDK clients
// (accounts.Provider, as the Lambda builds it) against localaws, and reads the
// calls of each event from localaws's own counts, so that SDK retries and STS
// calls count too.
//
// Each usable sample (a RunInstances or CopyImage call that succeeded, with
// its results visible, under the default policy) is a template with an
// account of its own; the stream repeats the templates round-robin, each event
// a new call: new instances and volumes, or a new AMI and snapshots. The first
// event of a template is cold for its account (its AMI, snapshots, settings
// and keys never seen); the others are warm.
//
// It prints notes (lines starting with #) and one line per figure:
// what, ours, baseline, ratio, where the baseline is the goal and the
// ratio ours/goal (at most 1 meets it).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// cacheTTL is the Lambda's default CACHE_TTL (lambda/handler/main.go): a warm
// Lambda keeps what it learnt this long.
const cacheTTL = 10 * time.Minute

// centralAccount runs the engine; every template's account is another one,
// read through the assumed reader role as in an organization.
const centralAccount = "999999999999"

// goals are issue 10's warm calls per event.
var goals = map[string]float64{"RunInstances": 1.2, "CopyImage": 2}

func main() {
	samples := flag.String("samples", "events/samples", "folder of sample folders")
	n := flag.Int("events", 1000, "events in the stream")
	verbose := flag.Bool("v", false, "print every template's calls, by API")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *samples, *n, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "calls:", err)
		os.Exit(1)
	}
}

// result is what one event cost.
type result struct {
	t      *template
	cold   bool
	status string
	calls  map[string]int // by API, from localaws
}

func (r result) total() int {
	n := 0
	for _, c := range r.calls {
		n += c
	}
	return n
}

func run(ctx context.Context, out io.Writer, samples string, n int, verbose bool) error {
	templates, err := loadTemplates(samples)
	if err != nil {
		return err
	}
	if len(templates) == 0 {
		return fmt.Errorf("%s: no usable RunInstances or CopyImage sample", samples)
	}
	events, w, err := stream(templates, n)
	if err != nil {
		return err
	}
	srv := localaws.New(w, centralAccount)
	if err := srv.Start(""); err != nil {
		return fmt.Errorf("start localaws: %w", err)
	}
	defer srv.Close()
	engine, err := newEngine(ctx, srv.URL())
	if err != nil {
		return err
	}

	seen := map[*template]bool{}
	results := make([]result, 0, len(events))
	for _, ev := range events {
		items := cloudtrail.DecodeAll(ev.body)
		if len(items) != 1 {
			return fmt.Errorf("%s: the event decodes to %d items", ev.t.name, len(items))
		}
		before := srv.Counts()
		v := engine.Evaluate(ctx, items[0])
		r := result{t: ev.t, cold: !seen[ev.t], status: v.Status, calls: diff(srv.Counts(), before)}
		seen[ev.t] = true
		// A figure is worth something only if the engine judged the event as
		// the sample's oracle does: a world built wrong would look cheap.
		if v.Status != ev.t.status || len(v.Findings) != ev.t.findings {
			return fmt.Errorf("%s (event %s): status %s with %d findings, want %s with %d (reason %q)",
				ev.t.name, v.EventID, v.Status, len(v.Findings), ev.t.status, ev.t.findings, v.Reason)
		}
		// The engine's own count (the SDK middleware step, the AWSCalls
		// metric) agrees with what localaws served, call by call: no fault is
		// injected, so no call was retried.
		for api, n := range r.calls {
			if api != "AssumeRole" && api != "GetCallerIdentity" && v.Calls[api] != n {
				return fmt.Errorf("%s (event %s): the verdict counts %d %s calls, localaws served %d (verdict %v, localaws %v)",
					ev.t.name, v.EventID, v.Calls[api], api, n, v.Calls, r.calls)
			}
		}
		for api, n := range v.Calls {
			if r.calls[api] != n {
				return fmt.Errorf("%s (event %s): the verdict counts %d %s calls, localaws served %d", ev.t.name, v.EventID, n, api, r.calls[api])
			}
		}
		results = append(results, r)
	}
	report(out, templates, results, verbose)
	return nil
}

// newEngine builds the engine as the Lambda does, its SDK configuration
// from the standard variables (as internal/localrun.Env sets them) pointing
// at localaws.
func newEngine(ctx context.Context, url string) (*verify.Engine, error) {
	for k, v := range map[string]string{
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           localaws.AccessKeyFor(centralAccount),
		"AWS_SECRET_ACCESS_KEY":       "local",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_EC2":        url,
		"AWS_ENDPOINT_URL_KMS":        url,
		"AWS_ENDPOINT_URL_STS":        url,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		if err := os.Setenv(k, v); err != nil {
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return verify.New(verify.Config{Clients: accounts.New(cfg, ""), CacheTTL: cacheTTL}), nil
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// tally sums the calls of some events.
type tally struct {
	events int
	calls  int
	byAPI  map[string]int
}

func (t *tally) add(r result) {
	if t.byAPI == nil {
		t.byAPI = map[string]int{}
	}
	t.events++
	t.calls += r.total()
	for k, v := range r.calls {
		t.byAPI[k] += v
	}
}

func (t tally) mean() float64 {
	if t.events == 0 {
		return 0
	}
	return float64(t.calls) / float64(t.events)
}

// apis lists the calls per event by API, most first: "DescribeVolumes 1.00, ...".
func (t tally) apis() string {
	if t.events == 0 {
		return "no events"
	}
	if t.calls == 0 {
		return "no calls"
	}
	keys := slices.Collect(maps.Keys(t.byAPI))
	sort.Slice(keys, func(i, j int) bool {
		if t.byAPI[keys[i]] != t.byAPI[keys[j]] {
			return t.byAPI[keys[i]] > t.byAPI[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(t.byAPI[k])/float64(t.events)))
	}
	return strings.Join(parts, ", ")
}

func report(out io.Writer, templates []*template, results []result, verbose bool) {
	type key struct {
		kind     string
		cold     bool
		findings bool
	}
	byKind := map[key]*tally{}
	perTemplate := map[*template]*[2]tally{} // cold, warm
	for _, r := range results {
		k := key{r.t.kind, r.cold, r.status == verify.StatusViolation}
		if byKind[k] == nil {
			byKind[k] = &tally{}
		}
		byKind[k].add(r)
		if perTemplate[r.t] == nil {
			perTemplate[r.t] = &[2]tally{}
		}
		i := 1
		if r.cold {
			i = 0
		}
		perTemplate[r.t][i].add(r)
	}
	get := func(k key) tally {
		if t := byKind[k]; t != nil {
			return *t
		}
		return tally{}
	}
	fmt.Fprintf(out, "# calls: %d events through one engine (cache TTL %s, real SDK clients, localaws's counts), %d templates from the samples, round-robin, each in its own account\n",
		len(results), cacheTTL, len(templates))
	violations := 0
	for _, r := range results {
		if r.status == verify.StatusViolation {
			violations++
		}
	}
	fmt.Fprintf(out, "# %d%% of the events are violations, as many as among the samples (a real account has far fewer); the figure lines count warm compliant events, since a finding first refreshes the cached settings and keys it relied on\n",
		100*violations/len(results))
	first := results[0]
	fmt.Fprintf(out, "# first event of the stream (%s, %s): %d calls: %s\n", first.t.name, first.t.kind, first.total(), (&tally{}).with(first).apis())
	for _, kind := range []string{"RunInstances", "CopyImage"} {
		cold := merge(get(key{kind, true, false}), get(key{kind, true, true}))
		ok, bad := get(key{kind, false, false}), get(key{kind, false, true})
		all := merge(ok, bad)
		fmt.Fprintf(out, "# %s cold (first event of each template's account, %d): %.2f calls: %s\n", kind, cold.events, cold.mean(), cold.apis())
		fmt.Fprintf(out, "# %s warm compliant (%d events): %.2f calls: %s\n", kind, ok.events, ok.mean(), ok.apis())
		fmt.Fprintf(out, "# %s warm with a finding (%d events; settings and keys refreshed before a finding): %.2f calls: %s\n", kind, bad.events, bad.mean(), bad.apis())
		fmt.Fprintf(out, "# %s warm, all (%d events): %.2f calls\n", kind, all.events, all.mean())
	}
	if verbose {
		sorted := slices.Clone(templates)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].kind > sorted[j].kind })
		for _, t := range sorted {
			p := perTemplate[t]
			if p == nil {
				continue
			}
			fmt.Fprintf(out, "# %-38s %-12s %-9s cold %5.2f (%s) | warm %5.2f (%s)\n", t.name, t.kind, t.status,
				p[0].mean(), p[0].apis(), p[1].mean(), p[1].apis())
		}
	}
	for _, kind := range []string{"RunInstances", "CopyImage"} {
		ok := get(key{kind, false, false})
		figure(out, "calls-warm-"+kind, ok.mean(), goals[kind])
	}
}

func (t *tally) with(r result) tally {
	t.add(r)
	return *t
}

func merge(ts ...tally) tally {
	var out tally
	for _, t := range ts {
		out.events += t.events
		out.calls += t.calls
		for k, v := range t.byAPI {
			if out.byAPI == nil {
				out.byAPI = map[string]int{}
			}
			out.byAPI[k] += v
		}
	}
	return out
}

// figure prints one line: what, ours, baseline (the goal), ratio ours/goal.
func figure(out io.Writer, what string, ours, goal float64) {
	fmt.Fprintf(out, "%-26s %8.2f %8.2f %7.2fx\n", what, ours, goal, ours/goal)
}
