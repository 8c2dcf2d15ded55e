// Command ebsguard evaluates recorded CloudTrail events offline, with the same
// engine the Lambda runs.
//
//	ebsguard replay [--world FILE] [--policy FILE] [--format text|json] [--all] PATH...
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `usage: ebsguard replay [--world FILE] [--policy FILE] [--format text|json] [--all] [--reader-role NAME] PATH...

Evaluates CloudTrail records (files, folders read recursively, or - for
standard input; JSON, JSON lines or gzip) and prints a verdict for each record
of the events ebsguard covers, and for each record it cannot read. A folder
holding world.json is a sample: its event files are evaluated against its
world.json and policy.json, unless --world or --policy is given.

  --world FILE     answer lookups from a world file instead of AWS
  --policy FILE    the policy (requireEncryption, allowedKeys)
  --format FORMAT  json (one verdict per line) or text; text on a terminal
  --all            print a verdict for every record, other events included
  --reader-role R  role assumed in other accounts without --world (default ebsguard-reader)

Exit status: 0 when every record was evaluated, 1 when an input could not be
read, holds no records, or a verdict is "error", 2 on a usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "replay":
		return replay(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ebsguard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
