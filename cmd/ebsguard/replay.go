package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

type replayOptions struct {
	world, policy, format, readerRole string
	all, securityHub                  bool
	paths                             []string
}

// parseReplay accepts flags before, between and after the paths.
func parseReplay(args []string, stdoutIsTerminal bool) (replayOptions, error) {
	var o replayOptions
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.world, "world", "", "")
	fs.StringVar(&o.policy, "policy", "", "")
	fs.StringVar(&o.format, "format", "", "")
	fs.StringVar(&o.readerRole, "reader-role", accounts.DefaultReaderRole, "")
	fs.BoolVar(&o.all, "all", false, "")
	fs.BoolVar(&o.securityHub, "securityhub", false, "")
	var err error
	if o.paths, err = parseInterleaved(fs, args); err != nil {
		return o, err
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
	if len(o.paths) == 0 {
		return o, errors.New("no input: name files, folders or - for standard input")
	}
	return o, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// replay reads the inputs (several files at once), evaluates the records in
// scope (every record with --all) and every unreadable one, and prints the
// verdicts in input order.
//
//	walk -> read (parallel per file, in order) -> spool -> evaluate (parallel, in order) -> print
//
// A record is judged against the settings of its eventTime, and a settings
// change may come after it in the input: the input is read once, the
// settings changes going into their histories as they come, and the items
// wait in a spool (spool.go) until the read is over.
func replay(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseReplay(args, isTerminal(stdout))
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: %v\n\n%s", err, usage)
		return 2
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	eng, err := newEngines(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
		return 1
	}
	var sh *hub
	if o.securityHub {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err == nil {
			sh, err = newLiveHub(ctx, cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
			return 1
		}
	}

	readers := runtime.GOMAXPROCS(0)
	st := newStats(readers)
	prog := startProgress(stderr, isTerminal(stderr), isTerminal(stdout), st)
	var failed, noCredentials atomic.Bool
	report := func(err error) {
		failed.Store(true)
		if errors.Is(err, errNoCredentials) {
			// The same for every input: once, and without a file name.
			if noCredentials.Swap(true) {
				return
			}
			err = errNoCredentials
		}
		prog.printf("ebsguard replay: %v\n", err)
	}

	// A world that fails to load stops the read at once; it is reported
	// below, before anything is evaluated.
	go func() {
		if eng.worldLoaded() != nil {
			cancel()
		}
	}()

	paths := make([]pathCount, len(o.paths))
	for i, p := range o.paths {
		paths[i].name = p
	}
	sources := walk(ctx, paths, stdin, eng.forFile, st, report)

	rd := newReader(st, readers, o.all)
	sum := newTally(o.all)
	items := rd.read(ctx, sources, func(d sourceDone) {
		// Called in order from one goroutine; read below once the
		// verdicts are all in.
		paths[d.src.arg].records += d.seen
		sum.records += d.seen
		sum.outOfScope += d.outOfScope
		if d.err != nil {
			report(d.err)
		}
	})

	sp := newSpool()
	defer sp.close()
	var spoolErr error
	for w := range items {
		// In input order: of two changes at the same time, the later in
		// the input is the later change. AddRecord keeps only successful
		// settings changes (of an unreadable one, what could be read).
		if w.item.Record != nil {
			w.engine.Settings().AddRecord(w.item.Record)
		}
		if spoolErr == nil {
			if spoolErr = sp.add(w); spoolErr != nil {
				cancel() // and let the readers end
			}
		}
	}
	st.readDone(sp.len())
	if err := eng.worldLoaded(); err != nil {
		prog.finish()
		fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
		return 1
	}
	if spoolErr != nil || parent.Err() != nil {
		prog.finish()
		if spoolErr == nil {
			spoolErr = errors.New("interrupted while reading: no verdict printed")
		}
		fmt.Fprintf(stderr, "ebsguard replay: %v\n", spoolErr)
		return 1
	}

	var out output = &jsonOutput{w: stdout}
	if o.format == "text" {
		out = &textOutput{w: stdout}
	}
	verdicts := evaluateOrdered(ctx, sp.items(ctx), max(8, runtime.NumCPU()))
	for e := range verdicts {
		v := e.verdict
		st.evaluated.Add(1)
		sum.add(v)
		if sh != nil {
			sh.add(ctx, v)
		}
		if v.Status == verify.StatusViolation {
			st.violations.Add(1)
		}
		if err := prog.around(func() error { return out.verdict(v) }); err != nil {
			prog.finish()
			fmt.Fprintf(stderr, "ebsguard replay: write: %v\n", err)
			cancel()
			for range verdicts { // let every goroutine end
			}
			return 1
		}
	}
	prog.finish()
	if sp.err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: %v\n", sp.err)
		return 1
	}
	for _, err := range emptyInputs(paths) {
		report(err)
	}
	if err := out.close(sum); err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: write: %v\n", err)
		return 1
	}
	if o.format == "json" && prog.on {
		// The summary is for a person: on the terminal, not in the JSON.
		sum.write(stderr)
	}
	if sh != nil && !sh.finish(parent, stderr) {
		failed.Store(true)
	}
	if parent.Err() != nil {
		// Interrupted while evaluating: the verdicts printed are a part,
		// and the summary counts only those.
		fmt.Fprintf(stderr, "ebsguard replay: interrupted: %s of %s verdicts printed, and counted in the summary\n",
			thousands(st.evaluated.Load()), thousands(st.toEvaluate.Load()))
	}
	if failed.Load() || sum.statuses[verify.StatusError] > 0 || parent.Err() != nil {
		return 1
	}
	return 0
}

// parseInterleaved parses flags given before, between and after the paths,
// and returns the paths in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return paths, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return paths, nil
		}
		paths, args = append(paths, args[0]), args[1:]
	}
}
