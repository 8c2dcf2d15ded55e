package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/ebsguard/ebsguard/internal/backfill"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/audit"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

const backfillUsage = `usage: ebsguard backfill --athena-table DB.TABLE [--workgroup NAME] [--output s3://...]
                         [--since AGE|DATE] [--until AGE|DATE] [--accounts ID,...|all]
                         [--regions R,...|all] [--reader-role NAME] [--format text|json]
                         [--policy FILE] [--securityhub] [--parallel N] [--dry-run]
       ebsguard backfill --athena-table DB.TABLE --create-table s3://BUCKET/[PREFIX/]AWSLogs/[o-ORG/]
                         --accounts ID,...|all --regions R,...|all [--since DATE] [--apply]

Evaluates the past calls of the kinds ebsguard covers, of any age, from the
organization's CloudTrail trail in S3, through Amazon Athena: one query,
bounded by the partitions of the window, accounts and Regions (only those
predicates cut what Athena scans and bills), names each relevant call's event
ID and S3 object; only those objects are read, and the calls are evaluated
against the accounts' state now, as audit does (a result gone since is
skipped). See docs/backfill.md.

  --athena-table T   the trail's table, DATABASE.TABLE, partition-projected by
                     account, region and timestamp (yyyy/MM/dd), as --create-table writes it
  --workgroup W      the Athena workgroup (default primary)
  --output URL       s3:// location of the query's results, when the workgroup sets none
  --since T          from T: an age (400d) or a date (2023-01-01, RFC 3339); default 90d
  --until T          to T (default now)
  --accounts A       account IDs, comma-separated; all or none: every account of the table
  --regions R        Regions, comma-separated; all or none: every Region of the table
  --reader-role R    the role read in other accounts (default ebsguard-reader)
  --format FORMAT    json (one verdict per line) or text; text on a terminal
  --policy FILE      the policy (requireEncryption, allowedKeys)
  --securityhub      import the findings into Security Hub, in the caller's account and Region
  --parallel N       S3 objects read (or, with --dry-run, prefixes listed) at once (default 16)
  --dry-run          print the query, the partitions and an estimate of the bytes
                     Athena would scan (from the S3 sizes of the partitions' prefixes);
                     run nothing
  --create-table URL print the table's DDL (partition projection) for the trail at URL;
                     --accounts and --regions list the partitions (all: the organization's
                     accounts, the partition's Regions), --since the first day
  --apply            with --create-table: run the DDL in Athena

Exit status: 0 when every named record was read and evaluated, 1 when the
query failed or scanned no data at all, an object or record could not be
read, or a verdict is "error", 2 on a usage error.
`

type backfillOptions struct {
	selection
	table, workgroup, output string
	format, policy           string
	createTable              string
	securityHub, dryRun      bool
	apply                    bool
	parallel                 int
	tableName                backfill.Table
}

func parseBackfill(args []string, now time.Time, stdoutIsTerminal bool) (backfillOptions, error) {
	var o backfillOptions
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.selection.flags(fs)
	fs.StringVar(&o.table, "athena-table", "", "")
	fs.StringVar(&o.workgroup, "workgroup", "", "")
	fs.StringVar(&o.output, "output", "", "")
	fs.StringVar(&o.format, "format", "", "")
	fs.StringVar(&o.policy, "policy", "", "")
	fs.StringVar(&o.createTable, "create-table", "", "")
	fs.BoolVar(&o.securityHub, "securityhub", false, "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.BoolVar(&o.apply, "apply", false, "")
	fs.IntVar(&o.parallel, "parallel", 16, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: backfill reads the trail through Athena, not files (replay reads files)", fs.Arg(0))
	}
	var err error
	if o.tableName, err = backfill.ParseTable(o.table); err != nil {
		return o, fmt.Errorf("--athena-table: %w", err)
	}
	if o.output != "" && !strings.HasPrefix(o.output, "s3://") {
		return o, fmt.Errorf("--output must be an s3:// location, not %q", o.output)
	}
	if o.apply && o.createTable == "" {
		return o, errors.New("--apply goes with --create-table")
	}
	if o.parallel < 1 {
		return o, errors.New("--parallel must be at least 1")
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
	if err := o.selection.resolve(now); err != nil {
		return o, err
	}
	if o.createTable != "" {
		if _, err := backfill.ParseLocation(o.createTable); err != nil {
			return o, fmt.Errorf("--create-table: %w", err)
		}
		if o.accounts == "" || o.regions == "" {
			return o, errors.New("--create-table needs --accounts and --regions: the partitions the table projects")
		}
	}
	return o, nil
}

// plan is the backfill's query plan.
func (o backfillOptions) plan() backfill.Plan {
	return backfill.Plan{Table: o.tableName, Window: backfill.Window{Start: o.start, End: o.end},
		Accounts: o.accountIDs, Regions: o.regionNames, Events: backfill.Events()}
}

// newS3 is an S3 client; an endpoint set in the environment (a local S3) is
// addressed by path, as S3-compatible stores are.
func newS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// CloudTrail's objects carry no checksum for the SDK to validate:
		// one line per object would only be noise.
		o.DisableLogOutputChecksumValidationSkipped = true
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
}

func cmdBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseBackfill(args, time.Now(), isTerminal(stdout))
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard backfill: %v\n\n%s", err, backfillUsage)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ebsguard backfill: %v\n", err)
		return 1
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fail(fmt.Errorf("load AWS configuration: %w", err))
	}
	switch {
	case o.createTable != "":
		return backfillCreateTable(ctx, cfg, o, stdout, stderr)
	case o.dryRun:
		return backfillDryRun(ctx, cfg, o, stdout, stderr)
	}
	var pol verify.Policy
	if o.policy != "" {
		if pol, err = verify.LoadPolicy(o.policy); err != nil {
			return fail(err)
		}
	}
	var sh *hub
	if o.securityHub {
		if sh, err = newLiveHub(ctx, cfg); err != nil {
			return fail(err)
		}
	}
	provider := accounts.New(cfg, o.readerRole)
	// Filled with the window's settings-change records before any record is
	// evaluated (runBackfill), so that each is judged against the settings of
	// its time (spec/rules.md, "Settings as they were at the event").
	settings := verify.NewSettingsHistory()
	engine := verify.New(verify.Config{Clients: provider, Policy: pol, CacheTTL: cacheTTL, Settings: settings})
	// Long past: a result not found now is gone, not "not visible yet".
	eval := func(ctx context.Context, it ct.Item) verify.Verdict {
		return engine.Recheck(ctx, it, verify.Check{Attempt: 1})
	}
	var out output = &jsonOutput{w: stdout}
	if o.format == "text" {
		out = &textOutput{w: stdout}
	}
	_, code := runBackfill(ctx, backfillEnv{athena: athena.NewFromConfig(cfg), glue: glue.NewFromConfig(cfg), s3: newS3(cfg), eval: eval, settings: settings, stdoutTerminal: isTerminal(stdout)}, o, out, sh, stderr)
	return code
}

// backfillEnv is what a backfill calls.
type backfillEnv struct {
	athena backfill.AthenaAPI
	// glue tells how many accounts and Regions the table projects, when the
	// run names none: the window is cut into queries under Athena's
	// partition limit. nil: one query.
	glue backfill.GlueAPI
	s3   backfill.S3API
	eval audit.Evaluator
	// settings, when set, receives every settings-change record read before
	// the first record is evaluated (the engine behind eval judges by it).
	settings *verify.SettingsHistory
	poll     time.Duration
	// stdoutTerminal: the verdicts go to the terminal the progress line is
	// drawn on.
	stdoutTerminal bool
}

// backfillReport is what a backfill did.
type backfillReport struct {
	query   backfill.QueryStatus // the last query's; Scanned: all queries'
	queries int
	queryIn time.Duration // from the start to the results read
	readIn  time.Duration // reading and evaluating
	hits    int
	objects int
	read    *backfill.ReadStats
	sum     *tally
}

// runBackfill queries, reads, evaluates and prints; it returns the exit
// status.
func runBackfill(ctx context.Context, env backfillEnv, o backfillOptions, out output, sh *hub, stderr io.Writer) (backfillReport, int) {
	rep := backfillReport{read: &backfill.ReadStats{}, sum: newTally(false)}
	rep.sum.selected = true
	var phase atomic.Value // "query" or "read"
	phase.Store("query")
	var qs atomic.Pointer[backfill.QueryStatus]
	qs.Store(&backfill.QueryStatus{State: "STARTING"})
	var evaluated, violations atomic.Int64
	prog := startProgressLine(stderr, isTerminal(stderr), env.stdoutTerminal, func(elapsed time.Duration) string {
		return backfillLine(*qs.Load(), phase.Load() == "read", rep.read, evaluated.Load(), violations.Load(), elapsed)
	})
	failed := false
	problem := func(err error) {
		prog.printf("ebsguard backfill: %v\n", err)
		failed = true
	}
	plan := o.plan()
	plans, err := splitPlan(ctx, env.glue, plan)
	if err != nil {
		prog.finish()
		fmt.Fprintf(stderr, "ebsguard backfill: %v\n", err)
		return rep, 1
	}
	began := time.Now()
	var hits []backfill.Hit
	var scanned int64 // by the queries before this one
	for _, p := range plans {
		q := backfill.Query{API: env.athena, SQL: p.SQL(), Database: o.tableName.Database, Workgroup: o.workgroup, Output: o.output, Poll: env.poll,
			OnStatus: func(s backfill.QueryStatus) { s.Scanned += scanned; qs.Store(&s) }}
		h, st, err := q.Run(ctx)
		st.Scanned += scanned
		scanned = st.Scanned
		rep.query, rep.queries = st, rep.queries+1
		qs.Store(&st)
		if err != nil {
			rep.queryIn = time.Since(began)
			prog.finish()
			fmt.Fprintf(stderr, "ebsguard backfill: %v\n", athenaHint(err, o.output))
			return rep, 1
		}
		hits = append(hits, h...)
	}
	rep.queryIn = time.Since(began)
	began = time.Now()
	rep.hits = len(hits)
	objects := backfill.Objects(hits)
	rep.objects = len(objects)
	phase.Store("read")

	run, stop := context.WithCancel(ctx)
	defer stop()
	picked := make(chan backfill.Picked, 64)
	go backfill.Read(run, env.s3, objects, rulesEventNames(plan), o.parallel, rep.read, picked)
	if env.settings != nil {
		picked = settingsFirst(picked, env.settings)
	}
	// Evaluate on several workers, print in the order read.
	results := evaluatePicked(run, picked, max(8, runtime.NumCPU()), env.eval)
	var writeErr error
	for r := range results {
		if r.err != nil {
			problem(r.err)
			continue
		}
		v := r.v
		rep.sum.records++
		rep.sum.add(v)
		evaluated.Add(1)
		if v.Status == verify.StatusViolation {
			violations.Add(1)
		}
		if sh != nil {
			sh.add(ctx, v)
		}
		if writeErr != nil {
			continue
		}
		if err := prog.around(func() error { return out.verdict(v) }); err != nil {
			writeErr = err
			stop()
		}
	}
	prog.finish()
	rep.readIn = time.Since(began)
	if writeErr != nil {
		fmt.Fprintf(stderr, "ebsguard backfill: write: %v\n", writeErr)
		return rep, 1
	}
	if err := out.close(rep.sum); err != nil {
		fmt.Fprintf(stderr, "ebsguard backfill: write: %v\n", err)
		return rep, 1
	}
	writeBackfillSummary(stderr, rep, plan)
	if rep.query.Scanned == 0 {
		// As replay of an empty folder: a table pointed at the wrong prefix,
		// or a window before the trail, must not read as "all compliant".
		fmt.Fprintf(stderr, "ebsguard backfill: the query scanned no data: %s holds no log for the window, accounts and Regions "+
			"(check its LOCATION and projection: accounts, Regions, date range)\n", o.tableName)
		failed = true
	}
	if n := rep.read.Missing.Load(); n > 0 {
		fmt.Fprintf(stderr, "ebsguard backfill: %d events the query named were not found in their objects\n", n)
		failed = true
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "ebsguard backfill: interrupted; the summary above is what was done")
		failed = true
	}
	if sh != nil && !sh.finish(ctx, stderr) {
		failed = true
	}
	if failed || rep.sum.statuses[verify.StatusError] > 0 {
		return rep, 1
	}
	return rep, 0
}

// athenaHint adds to an Athena error what the user can do about it: a
// request Athena rejects while no --output was given most often lacks the
// results' location (the workgroup sets none). Told by the error's type and
// our own options, never by its text.
func athenaHint(err error, output string) error {
	var invalid *athenatypes.InvalidRequestException
	if output == "" && errors.As(err, &invalid) {
		return fmt.Errorf("%w (if the workgroup sets no output location, name one with --output s3://BUCKET/PREFIX/, or use a workgroup that sets one: --workgroup)", err)
	}
	return err
}

// splitPlan cuts the plan into queries each under Athena's partition
// limit, from the accounts and Regions the table projects when the plan
// names none (read from the Glue Data Catalog).
func splitPlan(ctx context.Context, api backfill.GlueAPI, plan backfill.Plan) ([]backfill.Plan, error) {
	if api == nil {
		return []backfill.Plan{plan}, nil
	}
	accounts, regions := len(plan.Accounts), len(plan.Regions)
	if accounts == 0 || regions == 0 {
		info, err := backfill.Describe(ctx, api, plan.Table)
		if err != nil {
			return nil, fmt.Errorf("%w (backfill --create-table writes the table)", err)
		}
		accounts, regions = len(info.Accounts), len(info.Regions)
	}
	return plan.Split(accounts, regions)
}

// backfillLine is the progress of a backfill: the query's state, the data
// it scanned so far and what that costs; then the reading.
//
//	query RUNNING  scanned 1.2 GB ($0.0060)  12s
//	query SUCCEEDED  scanned 3.1 GB ($0.0155)  objects 12/40  read 3.1 MB  records 120  evaluated 118  violations 2  75s
func backfillLine(q backfill.QueryStatus, reading bool, r *backfill.ReadStats, evaluated, violations int64, elapsed time.Duration) string {
	line := fmt.Sprintf("query %s  scanned %s (%s)", q.State, bytesText(q.Scanned), costText(q.Scanned))
	if reading {
		line += fmt.Sprintf("  objects %s/%s  read %s  records %s  evaluated %s  violations %s",
			thousands(r.Objects.Load()), thousands(r.Total()), bytesText(r.Bytes.Load()), thousands(r.Records.Load()),
			thousands(evaluated), thousands(violations))
	}
	return line + fmt.Sprintf("  %ds", int(elapsed.Seconds()))
}

// pickedResult is a picked record's verdict, or the error that kept an
// object from being read.
type pickedResult struct {
	v   verify.Verdict
	err error
}

// evaluatePicked evaluates on several workers and yields the verdicts in
// the order of the records, at most a window of them in flight.
func evaluatePicked(ctx context.Context, in <-chan backfill.Picked, workers int, eval audit.Evaluator) <-chan pickedResult {
	return mapOrdered(in, workers, func(p backfill.Picked) pickedResult {
		if p.Item.Err != nil && p.Item.Record == nil {
			return pickedResult{err: p.Item.Err}
		}
		return pickedResult{v: eval(ctx, p.Item)}
	})
}

func rulesEventNames(p backfill.Plan) []string {
	names := make([]string, len(p.Events))
	for i, e := range p.Events {
		names[i] = e.Name
	}
	return names
}

// writeBackfillSummary says what the query scanned and cost, and what was
// read:
//
//	query 0a1b...: SUCCEEDED in 41.0 s, scanned 1.2 GB ($0.0060 at $5/TB); 40 events in 12 objects
//	read 12 objects, 3.1 MB (3100000 bytes) from S3, and evaluated 40 records, in 2.1 s
func writeBackfillSummary(w io.Writer, rep backfillReport, plan backfill.Plan) {
	first, last := plan.Days()
	fmt.Fprintf(w, "events from %s to %s (partitions %s to %s)\n", plan.Window.Start.UTC().Format(time.RFC3339), plan.Window.End.UTC().Format(time.RFC3339), first, last)
	name := "query " + rep.query.ID
	if rep.queries > 1 {
		name = fmt.Sprintf("%d queries (Athena projects at most %d partitions a query), the last %s", rep.queries, backfill.MaxPartitions, rep.query.ID)
	}
	fmt.Fprintf(w, "%s: %s in %.1f s, scanned %s (%s at $%g/TB); %s in %s\n", name, rep.query.State, rep.queryIn.Seconds(),
		bytesText(rep.query.Scanned), costText(rep.query.Scanned), backfill.PricePerTB, count(rep.hits, "event"), count(rep.objects, "object"))
	fmt.Fprintf(w, "read %s, %s (%d bytes) from S3, and evaluated %s, in %.1f s\n", count(int(rep.read.Objects.Load()), "object"), bytesText(rep.read.Bytes.Load()),
		rep.read.Bytes.Load(), count(int(rep.read.Records.Load()), "record"), rep.readIn.Seconds())
	if n := rep.read.Duplicates.Load(); n > 0 {
		fmt.Fprintf(w, "%s of events already read (CloudTrail delivered them again) not evaluated twice\n", count(int(n), "record"))
	}
	fmt.Fprintf(w, "%s\n", rep.sum.statusCounts())
}

// bytesText writes a size in decimal units: 1.2 GB.
func bytesText(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// costText is what Athena bills for n bytes scanned.
func costText(n int64) string { return fmt.Sprintf("$%.4f", backfill.Cost(n)) }

// backfillDryRun prints the query, the partitions and the estimate.
func backfillDryRun(ctx context.Context, cfg aws.Config, o backfillOptions, stdout, stderr io.Writer) int {
	plan := o.plan()
	fmt.Fprintf(stdout, "-- the query (Athena scans only the partitions its first predicates leave)\n%s\n\n", plan.SQL())
	api := glue.NewFromConfig(cfg)
	info, err := backfill.Describe(ctx, api, o.tableName)
	if err == nil {
		var plans []backfill.Plan
		if plans, err = splitPlan(ctx, api, plan); err != nil {
			fmt.Fprintf(stderr, "ebsguard backfill: %v\n", err)
			return 1
		}
		if len(plans) > 1 {
			fmt.Fprintf(stdout, "-- %s partitions: past Athena's %s a query, so backfill runs %d queries as above, one after the other, for the windows\n",
				thousands(int64(plan.Partitions(len(info.Accounts), len(info.Regions)))), thousands(backfill.MaxPartitions), len(plans))
			for _, p := range plans {
				fmt.Fprintf(stdout, "--   %s to %s\n", p.Window.Start.UTC().Format(time.RFC3339), p.Window.End.UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(stdout)
		}
		var prefixes []backfill.Prefix
		if prefixes, err = plan.Prefixes(info); err == nil {
			sizes, err := backfill.Sizes(ctx, newS3(cfg), prefixes, o.parallel)
			if err != nil {
				fmt.Fprintf(stderr, "ebsguard backfill: %v\n", err)
				return 1
			}
			var files, total int64
			empty := 0
			fmt.Fprintf(stdout, "-- partitions, by account, Region and month: objects, bytes\n")
			for _, p := range sizes {
				files, total = files+p.Objects, total+p.Bytes
				if p.Objects == 0 {
					empty++
					continue
				}
				fmt.Fprintf(stdout, "s3://%s/%s  days %s..%s  %s objects  %s\n", p.Bucket, p.Prefix.Prefix, p.First[8:], p.Last[8:], thousands(p.Objects), bytesText(p.Bytes))
			}
			if empty > 0 {
				fmt.Fprintf(stdout, "(%s of %s account, Region and month prefixes hold no object of the window)\n", thousands(int64(empty)), thousands(int64(len(sizes))))
			}
			fmt.Fprintf(stdout, "\n-- estimate: Athena scans about %s in %s objects, %s at $%g/TB; nothing was run\n",
				bytesText(total), thousands(files), costText(total), backfill.PricePerTB)
			return 0
		}
	}
	fmt.Fprintf(stderr, "ebsguard backfill: no estimate: %v\n", err)
	return 1
}

// backfillCreateTable prints the table's DDL, or runs it with --apply.
func backfillCreateTable(ctx context.Context, cfg aws.Config, o backfillOptions, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ebsguard backfill: %v\n", err)
		return 1
	}
	loc, _ := backfill.ParseLocation(o.createTable)
	accts, regions := o.accountIDs, o.regionNames
	var err error
	if o.allAccounts {
		if accts, err = audit.OrganizationAccounts(ctx, organizations.NewFromConfig(cfg)); err != nil {
			return fail(err)
		}
	}
	if o.allRegions {
		rs, err := audit.PartitionRegions(ctx, ec2.NewFromConfig(cfg))
		if err != nil {
			return fail(err)
		}
		for _, r := range rs {
			regions = append(regions, r.Name)
		}
	}
	ddl := backfill.DDL(o.tableName, loc, backfill.DDLOptions{Accounts: accts, Regions: regions, Start: o.start.UTC().Format("2006/01/02")})
	fmt.Fprintln(stdout, ddl)
	if !o.apply {
		return 0
	}
	q := backfill.Query{API: athena.NewFromConfig(cfg), SQL: ddl, Database: o.tableName.Database, Workgroup: o.workgroup, Output: o.output}
	st, err := q.Exec(ctx)
	if err != nil {
		return fail(athenaHint(err, o.output))
	}
	fmt.Fprintf(stderr, "ebsguard backfill: created %s (query %s)\n", o.tableName, st.ID)
	return 0
}

// settingsFirst holds the picked records until all are read, adds their
// settings changes to h, then passes them on in the order read: a record is
// judged against the settings of its eventTime whatever the order of the
// objects (the settings records apply by eventTime, not input order). The
// picked records are the window's relevant few (the query's hits), already
// held in memory as hits.
func settingsFirst(in <-chan backfill.Picked, h *verify.SettingsHistory) chan backfill.Picked {
	out := make(chan backfill.Picked, 64)
	go func() {
		defer close(out)
		var all []backfill.Picked
		for p := range in {
			if p.Item.Record != nil {
				h.AddRecord(p.Item.Record)
			}
			all = append(all, p)
		}
		for _, p := range all {
			out <- p
		}
	}()
	return out
}
