package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/audit"
	"github.com/ebsguard/ebsguard/lambda/capture"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

const captureUsage = `usage: ebsguard world capture [--out FILE] [--records FILE] [--redact] [--policy FILE]
                             [--reader-role NAME] PATH...
       ebsguard world capture [--out FILE] --records FILE [--redact] [--policy FILE]
                             --audit [--since T] [--until T] [--accounts A|all] [--regions R|all]
                             [--reader-role NAME]

Evaluates records against the live accounts, as replay does, and writes what
the engine looked up there (images, snapshots, volumes, launch template
versions, VM Import tasks, encryption by default, default keys, keys) as a
world file, only the fields the engine reads, so that "ebsguard replay --world
FILE" gives the same verdicts offline. The records
are those of PATH (as replay reads them) or, with --audit, those of CloudTrail
event history that audit would read (its selection flags).

  --out FILE      the world file (default: standard output)
  --records FILE  also write the records, one JSON line each, as replay reads them
                  (required with --audit: replay needs them)
  --redact        replace principals, names (launch templates, buckets, tag keys),
                  free text (descriptions, status messages, tag values) by
                  pseudonyms, so the files can be shared; IDs and key
                  references stay (docs/capture.md)
  --policy FILE   the policy to evaluate with (give replay the same)

Before it ends, capture evaluates the written records against the written
world alone and reports every verdict that differs from the live one (a
lookup that failed live, such as access denied, cannot be reproduced).

Exit status: 0 when every record was captured and is reproduced offline, 1
otherwise, 2 on a usage error.
`

type captureOptions struct {
	selection
	out, records, policy string
	redact, fromAudit    bool
	paths                []string
}

func parseCapture(args []string, now time.Time) (captureOptions, error) {
	var o captureOptions
	fs := flag.NewFlagSet("world capture", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.selection.flags(fs)
	fs.StringVar(&o.out, "out", "", "")
	fs.StringVar(&o.records, "records", "", "")
	fs.StringVar(&o.policy, "policy", "", "")
	fs.BoolVar(&o.redact, "redact", false, "")
	fs.BoolVar(&o.fromAudit, "audit", false, "")
	auditOnly := map[string]bool{"since": true, "until": true, "accounts": true, "regions": true}
	var err error
	if o.paths, err = parseInterleaved(fs, args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) {
		if auditOnly[f.Name] && !o.fromAudit && err == nil {
			err = fmt.Errorf("--%s selects event history: it goes with --audit", f.Name)
		}
	})
	switch {
	case err != nil:
		return o, err
	case o.fromAudit && len(o.paths) > 0:
		return o, errors.New("--audit reads event history: name no PATH")
	case o.fromAudit && o.records == "":
		return o, errors.New("--audit needs --records FILE: the records replay will read")
	case !o.fromAudit && len(o.paths) == 0:
		return o, errors.New("no input: name files, folders or - for standard input, or --audit")
	case o.out != "" && o.out == o.records:
		return o, errors.New("--out and --records name the same file")
	}
	if o.fromAudit {
		return o, o.selection.resolve(now)
	}
	return o, nil
}

func cmdWorld(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "capture" {
		fmt.Fprintf(stderr, "ebsguard world: the one subcommand is capture\n\n%s", captureUsage)
		return 2
	}
	return cmdCapture(ctx, args[1:], stdin, stdout, stderr)
}

func cmdCapture(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	start := time.Now()
	o, err := parseCapture(args, start)
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard world capture: %v\n\n%s", err, captureUsage)
		return 2
	}
	var failed atomic.Bool
	report := func(err error) {
		fmt.Fprintf(stderr, "ebsguard world capture: %v\n", err)
		failed.Store(true)
	}
	var pol verify.Policy
	if o.policy != "" {
		if pol, err = verify.LoadPolicy(o.policy); err != nil {
			report(err)
			return 1
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		report(fmt.Errorf("load AWS configuration: %w", err))
		return 1
	}
	sum := newTally(false)
	sum.selected = true
	var c *capture.Capture
	var what string // what was read, for a capture that holds no record
	if o.fromAudit {
		env, err := setupAudit(ctx, cfg, o.selection)
		if err != nil {
			report(err)
			return 1
		}
		for _, n := range env.notes {
			fmt.Fprintf(stderr, "ebsguard world capture: %s\n", n)
		}
		c = capture.New(env.provider, pol, start)
		eng := c.Engine(cacheTTL)
		var ap audit.Progress
		pacer := trail.NewPacer()
		prog := startProgressLine(stderr, isTerminal(stderr), false, auditLine(&ap, pacer))
		// Evaluated as replay will: a first look, so that the world holds
		// what replay looks up.
		rep := runAudit(ctx, env, o.selection, func(ctx context.Context, it ct.Item) verify.Verdict { return eng.Evaluate(ctx, it) }, &ap, pacer,
			func(it ct.Item, v verify.Verdict) {
				sum.records++
				sum.add(v)
				c.Add(it, v)
			})
		prog.finish()
		for _, p := range rep.Problems() {
			report(p)
		}
		var read, notEnabled, failedRegions, interrupted int
		for _, r := range rep.Results {
			switch r.Outcome {
			case audit.Done:
				read++
			case audit.NotEnabled:
				notEnabled++
			case audit.Failed:
				failedRegions++
			case audit.Interrupted:
				interrupted++
			}
		}
		what = fmt.Sprintf("event history of %s (%s) from %s to %s: %s of %s",
			count(len(rep.Accounts()), "account"), regionCounts(read, notEnabled, failedRegions, interrupted),
			o.start.UTC().Format(time.RFC3339), o.end.UTC().Format(time.RFC3339), count(int(sum.records), "event"), strings.Join(rules.EventNames(), ", "))
	} else {
		c = capture.New(accounts.New(cfg, o.readerRole), pol, start)
		eng := c.Engine(cacheTTL)
		readers := runtime.GOMAXPROCS(0)
		st := newStats(readers)
		paths := make([]pathCount, len(o.paths))
		for i, p := range o.paths {
			paths[i].name = p
		}
		// Every input against the live accounts: a sample folder's own
		// world is what a capture replaces.
		sources := walk(ctx, paths, stdin, func(inputs.File) (*verify.Engine, error) { return eng, nil }, st, report)
		rd := newReader(st, readers, false)
		items := rd.read(ctx, sources, func(d sourceDone) {
			paths[d.src.arg].records += d.seen
			if d.err != nil {
				report(d.err)
			}
		})
		for e := range evaluateOrdered(ctx, items, max(8, runtime.NumCPU())) {
			sum.records++
			sum.add(e.verdict)
			if e.item.Err != nil {
				report(fmt.Errorf("not captured: %w", e.item.Err))
			}
			c.Add(e.item, e.verdict)
		}
		for _, err := range emptyInputs(paths) {
			report(err)
		}
		var records int64
		for _, p := range paths {
			records += p.records
		}
		what = fmt.Sprintf("%s: %s, none of them a readable %s call", strings.Join(o.paths, " "), count(int(records), "record"), strings.Join(rules.EventNames(), " or "))
	}
	if ctx.Err() != nil {
		report(errors.New("interrupted: nothing written"))
		return 1
	}
	if c.Records() == 0 {
		// An empty world would replay as "nothing to see": say what was
		// read instead, and write nothing.
		report(fmt.Errorf("nothing captured, nothing written: read %s", what))
		return 1
	}

	var red *capture.Redactor
	if o.redact {
		red = capture.NewRedactor()
	}
	files, err := c.Write(red)
	if err != nil {
		report(err)
		return 1
	}
	if err := writeOut(o.out, stdout, append(files.World, '\n')); err != nil {
		report(err)
		return 1
	}
	if o.records != "" {
		var b bytes.Buffer
		for _, r := range files.Records {
			b.Write(r)
			b.WriteByte('\n')
		}
		if err := writeOut(o.records, stdout, b.Bytes()); err != nil {
			report(err)
			return 1
		}
	}

	mismatches, err := c.Check(ctx, files, cacheTTL)
	if err != nil {
		report(err)
		return 1
	}
	writeCaptureSummary(stderr, o, sum, files, c.Records(), len(mismatches))
	for i, m := range mismatches {
		if i == 10 {
			fmt.Fprintf(stderr, "  and %d more\n", len(mismatches)-i)
			break
		}
		fmt.Fprintf(stderr, "  not reproduced: %s\n", m)
	}
	if len(mismatches) > 0 || failed.Load() {
		return 1
	}
	return 0
}

// writeOut writes a file, or standard output for "".
func writeOut(path string, stdout io.Writer, b []byte) error {
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %w", err)
	}
	return nil
}

// writeCaptureSummary says what was captured, where it went, and how to
// replay it.
func writeCaptureSummary(w io.Writer, o captureOptions, sum *tally, files capture.Files, kept, mismatches int) {
	fmt.Fprintf(w, "captured %d of %d records: %s\n", kept, sum.records, sum.statusCounts())
	if wd, err := world.Parse(bytes.NewReader(files.World)); err == nil {
		var keys, regions int
		for _, rs := range wd.Accounts {
			for _, r := range rs {
				regions++
				keys += len(r.Keys)
			}
		}
		// Every list of the world the capture holds objects of.
		var held []string
		for _, c := range wd.Counts() {
			if c.N > 0 {
				held = append(held, count(c.N, c.Noun))
			}
		}
		held = append(held, count(keys, "key"))
		fmt.Fprintf(w, "  world: %s, %s; %s\n", count(len(wd.Accounts), "account"), count(regions, "Region of an account"), strings.Join(held, ", "))
	}
	out := o.out
	if out == "" {
		out = "WORLD"
	}
	inputsArg := strings.Join(o.paths, " ")
	if o.records != "" {
		inputsArg = o.records
	}
	policy := ""
	if o.policy != "" {
		policy = " --policy " + o.policy
	}
	if mismatches == 0 {
		fmt.Fprintf(w, "  every verdict is reproduced by: ebsguard replay --world %s%s %s\n", out, policy, inputsArg)
	} else {
		fmt.Fprintf(w, "  %d verdicts are not reproduced by: ebsguard replay --world %s%s %s\n", mismatches, out, policy, inputsArg)
	}
	if o.redact && o.records == "" {
		fmt.Fprintln(w, "  note: the inputs themselves are not redacted; --records FILE writes redacted records to share with the world")
	}
}
