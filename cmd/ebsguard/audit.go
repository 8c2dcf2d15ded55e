package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/audit"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// selection is which past calls an audit reads: the flags audit and
// `world capture --audit` share.
type selection struct {
	since, until      string
	accounts, regions string
	readerRole        string
	start, end        time.Time
	accountIDs        []string // nil: the organization's (--accounts all) or, when empty, the caller's
	allAccounts       bool
	regionNames       []string // nil: the caller's Region, or every Region (--regions all)
	allRegions        bool
}

func (s *selection) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.since, "since", "90d", "")
	fs.StringVar(&s.until, "until", "", "")
	fs.StringVar(&s.accounts, "accounts", "", "")
	fs.StringVar(&s.regions, "regions", "", "")
	fs.StringVar(&s.readerRole, "reader-role", deployment.AuditorRoleName, "")
}

// resolve reads the flags' values, now being the time of the run.
func (s *selection) resolve(now time.Time) error {
	var err error
	if s.start, err = parseTime(s.since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	s.end = now
	if s.until != "" {
		if s.end, err = parseTime(s.until, now); err != nil {
			return fmt.Errorf("--until: %w", err)
		}
	}
	if !s.start.Before(s.end) {
		return fmt.Errorf("--since %s is not before --until %s", s.start.Format(time.RFC3339), s.end.Format(time.RFC3339))
	}
	switch s.accounts {
	case "all":
		s.allAccounts = true
	case "":
	default:
		for _, a := range strings.Split(s.accounts, ",") {
			if a = strings.TrimSpace(a); !verify.ValidAccount(a) {
				return fmt.Errorf("--accounts: %q is not a 12-digit account ID", a)
			}
			if !slices.Contains(s.accountIDs, a) {
				s.accountIDs = append(s.accountIDs, strings.TrimSpace(a))
			}
		}
	}
	switch s.regions {
	case "all":
		s.allRegions = true
	case "":
	default:
		for _, r := range strings.Split(s.regions, ",") {
			if r = strings.TrimSpace(r); !verify.ValidRegion(r) {
				return fmt.Errorf("--regions: %q is not a Region name", r)
			}
			if !slices.Contains(s.regionNames, r) {
				s.regionNames = append(s.regionNames, r)
			}
		}
	}
	return nil
}

var agoPattern = regexp.MustCompile(`^([0-9]+)d$`)

// parseTime reads a time as audit takes it: an age (90d, 36h, 90m: that
// long before now), a date (2026-09-01, midnight UTC) or an RFC 3339 time.
func parseTime(s string, now time.Time) (time.Time, error) {
	if m := agoPattern.FindStringSubmatch(s); m != nil {
		days, err := strconv.Atoi(m[1])
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-time.Duration(days) * 24 * time.Hour), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is no age (90d, 12h), date (2026-09-01) or RFC 3339 time", s)
}

// LookupEvents is slow at times: users report answers of 4 s on average and
// up to 35 s in us-east-1 (AWS re:Post, "Lookup API's request response time is
// too high for region us-east-1"). Its client waits longer than the engine's
// DescribeImages and DescribeKey do (accounts.DefaultTimeouts).
var lookupTimeouts = accounts.Timeouts{ResponseHeader: 40 * time.Second, Attempt: 60 * time.Second}

// auditEnv is what an audit reads with: the live clients, the caller, the
// accounts and Regions to read.
type auditEnv struct {
	provider *accounts.Provider
	caller   accounts.Identity
	targets  []audit.Target
	open     audit.Opener
	notes    []string // for the person running it
}

// setupAudit finds the caller, the accounts and the Regions. Only the
// caller's own account is asked anything here: Organizations ListAccounts for
// --accounts all, EC2 DescribeRegions for --regions all.
func setupAudit(ctx context.Context, cfg aws.Config, sel selection) (*auditEnv, error) {
	if cfg.Region == "" {
		return nil, errors.New("no Region: set AWS_REGION or the profile's region (it is the default of --regions, and where Organizations and EC2 are asked)")
	}
	lookupHTTP := accounts.HTTPClient(cfg.HTTPClient, lookupTimeouts)
	env := &auditEnv{provider: accounts.New(cfg, sel.readerRole)}
	var err error
	if env.caller, err = env.provider.Caller(ctx); err != nil {
		return nil, err
	}
	ids := sel.accountIDs
	switch {
	case sel.allAccounts:
		if ids, err = audit.OrganizationAccounts(ctx, organizations.NewFromConfig(cfg)); err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errors.New("the organization lists no active account")
		}
	case len(ids) == 0:
		ids = []string{env.caller.Account}
	}
	var named []string
	var discovered []audit.Region
	switch {
	case sel.allRegions:
		if discovered, err = audit.PartitionRegions(ctx, ec2.NewFromConfig(cfg)); err != nil {
			return nil, err
		}
		env.notes = append(env.notes, fmt.Sprintf("--regions all: the partition's %s; those an account has not enabled are counted as such", count(len(discovered), "Region")))
	case len(sel.regionNames) > 0:
		named = sel.regionNames
	default:
		named = []string{cfg.Region}
	}
	env.targets = audit.Targets(ids, env.caller.Account, named, discovered)
	// A minute's margin: --since 90d, read a moment ago, is not "older".
	if time.Since(sel.start) > trail.Retention+time.Minute {
		env.notes = append(env.notes, fmt.Sprintf("CloudTrail event history keeps 90 days: calls before %s are not listed (replay the trail's S3 logs for those)",
			time.Now().Add(-trail.Retention).UTC().Format("2006-01-02")))
	}
	env.open = func(ctx context.Context, account, region string) (trail.API, error) {
		c, err := env.provider.Config(ctx, account, region)
		if err != nil {
			return nil, err
		}
		return cloudtrail.NewFromConfig(c, func(o *cloudtrail.Options) { o.HTTPClient = lookupHTTP }), nil
	}
	return env, nil
}

// runAudit reads and evaluates the selection, calling emit with each record
// and verdict.
func runAudit(ctx context.Context, env *auditEnv, sel selection, eval audit.Evaluator, ap *audit.Progress, pacer *trail.Pacer,
	emit func(ct.Item, verify.Verdict)) audit.Report {
	return audit.Run(ctx, audit.Config{
		Targets: env.targets, Open: env.open, Evaluate: eval, Pacer: pacer,
		Query: trail.Query{EventNames: rules.EventNames(), Start: sel.start, End: sel.end},
	}, ap, emit)
}

// auditLine is the progress of an audit.
func auditLine(ap *audit.Progress, pacer *trail.Pacer) func(time.Duration) string {
	return func(elapsed time.Duration) string {
		line := fmt.Sprintf("accounts %s/%s  Regions %s/%s  events %s  evaluated %s  violations %s",
			thousands(ap.AccountsDone.Load()), thousands(ap.Accounts.Load()), thousands(ap.TargetsDone.Load()), thousands(ap.Targets.Load()),
			thousands(ap.Events.Load()), thousands(ap.Evaluated.Load()), thousands(ap.Violations.Load()))
		if n := pacer.Throttled(); n > 0 {
			line += fmt.Sprintf("  throttled %s", thousands(n))
		}
		return line + fmt.Sprintf("  %ds", int(elapsed.Seconds()))
	}
}

// auditUsage names the calls it evaluates from the registry.
var auditUsage = strings.Replace(auditUsageText, "{calls}", strings.Join(rules.EventNames(), ", "), 1)

const auditUsageText = `usage: ebsguard audit [--since 90d|DATE] [--until AGE|DATE] [--accounts ID,...|all]
                      [--regions R,...|all] [--reader-role NAME] [--format text|json]
                      [--policy FILE] [--securityhub]

Evaluates the past calls ebsguard covers ({calls})
of CloudTrail event history (LookupEvents, the last 90 days) against the
accounts' state now, with the engine replay and the Lambda run.

  --since T        from T: an age (90d, 12h) or a date (2026-09-01, RFC 3339); default 90d
  --until T        to T (default now)
  --accounts A     account IDs, comma-separated, or all: the organization's
                   active accounts (organizations:ListAccounts); default the caller's
  --regions R      Regions, comma-separated, or all: every Region of the partition
                   (ec2:DescribeRegions), those an account has not enabled counted as
                   such; default the caller's Region
  --reader-role R  the role read in other accounts (default ebsguard-auditor, the member
                   stack's role for AuditorRoleArn; the function's ebsguard-reader
                   cannot read CloudTrail history)
  --format FORMAT  json (one verdict per line) or text; text on a terminal
  --policy FILE    the policy (requireEncryption, allowedKeys)
  --securityhub    import the findings into Security Hub, in the caller's account and Region

Exit status: 0 when every account and Region was read and every record
evaluated, 1 when one could not be read or a verdict is "error" (or on
Ctrl-C, after the summary of what was done), 2 on a usage error.
`

type auditOptions struct {
	selection
	format, policy string
	securityHub    bool
}

func parseAudit(args []string, now time.Time, stdoutIsTerminal bool) (auditOptions, error) {
	var o auditOptions
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.selection.flags(fs)
	fs.StringVar(&o.format, "format", "", "")
	fs.StringVar(&o.policy, "policy", "", "")
	fs.BoolVar(&o.securityHub, "securityhub", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: audit reads CloudTrail event history, not files (replay reads files)", fs.Arg(0))
	}
	if o.format == "" {
		o.format = "json"
		if stdoutIsTerminal {
			o.format = "text"
		}
	}
	if o.format != "json" && o.format != "text" {
		return o, fmt.Errorf("--format must be json or text, not %q", o.format)
	}
	return o, o.selection.resolve(now)
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseAudit(args, time.Now(), isTerminal(stdout))
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard audit: %v\n\n%s", err, auditUsage)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ebsguard audit: %v\n", err)
		return 1
	}
	var pol verify.Policy
	if o.policy != "" {
		if pol, err = verify.LoadPolicy(o.policy); err != nil {
			return fail(err)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fail(fmt.Errorf("load AWS configuration: %w", err))
	}
	env, err := setupAudit(ctx, cfg, o.selection)
	if err != nil {
		return fail(err)
	}
	var sh *hub
	if o.securityHub {
		if sh, err = newLiveHub(ctx, cfg); err != nil {
			return fail(err)
		}
	}
	var ap audit.Progress
	pacer := trail.NewPacer()
	settings := auditSettings(ctx, env, o.selection, pacer) // audit_settings.go
	engine := verify.New(verify.Config{Clients: env.provider, Policy: pol, CacheTTL: cacheTTL, Settings: settings})
	// The calls are long past: a result not found now is gone, not "not
	// visible yet". The engine's re-check reads it so.
	eval := func(ctx context.Context, it ct.Item) verify.Verdict {
		return engine.Recheck(ctx, it, verify.Check{Attempt: 1})
	}

	prog := startProgressLine(stderr, isTerminal(stderr), isTerminal(stdout), auditLine(&ap, pacer))
	for _, n := range env.notes {
		prog.printf("ebsguard audit: %s\n", n)
	}
	var out output = &jsonOutput{w: stdout}
	if o.format == "text" {
		out = &textOutput{w: stdout}
	}
	sum := newTally(false)
	sum.selected = true
	perAccount := map[string]*tally{}
	// A failed write (a closed pipe) stops the audit: no one reads on.
	run, stop := context.WithCancel(ctx)
	defer stop()
	var writeErr atomic.Pointer[error]
	rep := runAudit(run, env, o.selection, eval, &ap, pacer, func(_ ct.Item, v verify.Verdict) {
		sum.records++
		sum.add(v)
		t := perAccount[v.Account]
		if t == nil {
			t = newTally(false)
			perAccount[v.Account] = t
		}
		t.records++
		t.add(v)
		if sh != nil {
			sh.add(ctx, v)
		}
		if writeErr.Load() != nil {
			return
		}
		if err := prog.around(func() error { return out.verdict(v) }); err != nil {
			writeErr.Store(&err)
			stop()
		}
	})
	prog.finish()
	if p := writeErr.Load(); p != nil {
		return fail(fmt.Errorf("write: %w", *p))
	}

	failed := false
	if err := out.close(sum); err != nil {
		return fail(fmt.Errorf("write: %w", err))
	}
	writeAuditEnd(stdout, stderr, o.format, prog.on, sum, rep, perAccount, pacer, o.selection)
	for _, p := range rep.Problems() {
		fmt.Fprintf(stderr, "ebsguard audit: %v\n", p)
		failed = true
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "ebsguard audit: interrupted; the summary above is what was done")
		failed = true
	}
	if sh != nil && !sh.finish(ctx, stderr) {
		failed = true
	}
	if failed || sum.statuses[verify.StatusError] > 0 {
		return 1
	}
	return 0
}

// writeAuditEnd prints the summary for a person: in text, after the
// verdicts (whose output has printed the tally); in JSON, on stderr when it
// is a terminal, the tally replay prints (by status, by finding) first.
func writeAuditEnd(stdout, stderr io.Writer, format string, onTerminal bool, sum *tally, rep audit.Report, perAccount map[string]*tally, pacer *trail.Pacer, sel selection) {
	switch {
	case format == "text":
		writeAuditSummary(stdout, rep, perAccount, pacer, sel)
	case onTerminal:
		sum.write(stderr)
		writeAuditSummary(stderr, rep, perAccount, pacer, sel)
	}
}

// writeAuditSummary prints where the audit read and what it found, per
// account:
//
//	events from 2026-09-01T00:00:00Z to 2026-11-30T00:00:00Z; 2 accounts, 4 Regions read, 30 not enabled; 12 LookupEvents calls
//	  222222222222  2 Regions read, 15 not enabled: 12 records: 10 compliant, 2 violation, 0 pending, 0 skipped, 0 error
func writeAuditSummary(w io.Writer, rep audit.Report, perAccount map[string]*tally, pacer *trail.Pacer, sel selection) {
	var read, notEnabled, failed, interrupted, calls int
	for _, r := range rep.Results {
		calls += r.Calls
		switch r.Outcome {
		case audit.Done:
			read++
		case audit.NotEnabled:
			notEnabled++
		case audit.Failed:
			failed++
		case audit.Interrupted:
			interrupted++
		}
	}
	accts := rep.Accounts()
	fmt.Fprintf(w, "events from %s to %s; %s, %s; %s", sel.start.UTC().Format(time.RFC3339), sel.end.UTC().Format(time.RFC3339),
		count(len(accts), "account"), regionCounts(read, notEnabled, failed, interrupted), count(calls, "LookupEvents call"))
	if n := pacer.Throttled(); n > 0 {
		fmt.Fprintf(w, ", %d throttled and retried", n)
	}
	fmt.Fprintln(w)
	for _, a := range accts {
		t := perAccount[a.ID]
		if t == nil {
			t = newTally(false)
		}
		fmt.Fprintf(w, "  %s  %s: %s: %s\n", a.ID, regionCounts(a.Done, a.NotEnabled, a.Failed, a.Interrupted), count(int(t.records), "record"), t.statusCounts())
	}
}

func regionCounts(read, notEnabled, failed, interrupted int) string {
	s := count(read, "Region") + " read"
	for _, c := range []struct {
		n    int
		what string
	}{{notEnabled, "not enabled"}, {failed, "failed"}, {interrupted, "interrupted"}} {
		if c.n > 0 {
			s += fmt.Sprintf(", %d %s", c.n, c.what)
		}
	}
	return s
}

// count writes a number with its noun, singular or plural ("1 Region",
// "2 Regions"; "Region of an account" becomes "Regions of accounts").
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if head, tail, ok := strings.Cut(noun, " of an "); ok {
		return fmt.Sprintf("%d %ss of %ss", n, head, tail)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
