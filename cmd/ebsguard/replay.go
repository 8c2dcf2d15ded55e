package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

type replayOptions struct {
	world, policy, format, readerRole string
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
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		o.paths = append(o.paths, args[0])
		args = args[1:]
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

func replay(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseReplay(args, isTerminal(stdout))
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: %v\n\n%s", err, usage)
		return 2
	}
	var pol verify.Policy
	if o.policy != "" {
		if pol, err = verify.LoadPolicy(o.policy); err != nil {
			fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
			return 1
		}
	}
	var clients verify.Clients
	if o.world != "" {
		w, err := world.Load(o.world)
		if err != nil {
			fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
			return 1
		}
		clients = w
	} else {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "ebsguard replay: load AWS configuration: %v\n", err)
			return 1
		}
		clients = accounts.New(cfg, o.readerRole)
	}
	engine := verify.New(verify.Config{Clients: clients, Policy: pol, CacheTTL: cacheTTL})

	var out output = &jsonOutput{w: stdout}
	if o.format == "text" {
		out = &textOutput{w: stdout}
	}
	inputs := make(chan cloudtrail.Item, 64)
	readErrs := make(chan error, 1)
	go func() {
		readErrs <- readAll(ctx, o.paths, stdin, inputs)
		close(inputs)
	}()
	failed := false
	for v := range evaluateOrdered(ctx, engine, inputs, runtime.NumCPU()) {
		if err := out.verdict(v); err != nil {
			fmt.Fprintf(stderr, "ebsguard replay: write: %v\n", err)
			return 1
		}
		failed = failed || v.Status == verify.StatusError
	}
	if err := <-readErrs; err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: %v\n", err)
		failed = true
	}
	if err := out.close(); err != nil {
		fmt.Fprintf(stderr, "ebsguard replay: write: %v\n", err)
		return 1
	}
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}
