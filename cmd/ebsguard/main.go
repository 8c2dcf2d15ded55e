// Command ebsguard evaluates CloudTrail records with the same engine the
// Lambda runs: recorded ones (replay), those of CloudTrail event history
// (audit), and captures the account state behind verdicts (world capture).
//
//	ebsguard replay [--world FILE] [--policy FILE] [--format text|json] [--all] [--securityhub] PATH...
//	ebsguard audit [--since 90d|DATE] [--until T] [--accounts ID,...|all] [--regions R,...|all] ...
//	ebsguard backfill --athena-table DB.TABLE [--since AGE|DATE] ... (the trail in S3, through Athena)
//	ebsguard world capture [--out FILE] [--records FILE] [--redact] (PATH... | --audit ...)
//	ebsguard doctor [--accounts ID,...|all] [--regions R,...|all] [--function NAME] ...
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
)

const usage = `usage: ebsguard replay [--world FILE] [--policy FILE] [--format text|json] [--all]
                       [--reader-role NAME] [--securityhub] PATH...
       ebsguard audit [--since 90d|DATE] [--accounts ID,...|all] [--regions R,...|all] ...
       ebsguard backfill --athena-table DB.TABLE [--since AGE|DATE] ... (through Athena, any age)
       ebsguard world capture [--out FILE] [--records FILE] [--redact] (PATH... | --audit ...)
       ebsguard doctor [--accounts ID,...|all] [--regions R,...|all] [--function NAME] ...
       ebsguard help audit | help backfill | help capture | help doctor

replay evaluates CloudTrail records (files, folders read recursively, or - for
standard input; JSON, JSON lines or gzip) and prints a verdict for each record
of the events ebsguard covers, and for each record it cannot read. A folder
holding world.json is a sample: its event files are evaluated against its
world.json and policy.json, unless --world or --policy is given.

  --world FILE     answer lookups from a world file instead of AWS
  --policy FILE    the policy (requireEncryption, allowedKeys)
  --format FORMAT  json (one verdict per line) or text; text on a terminal
  --all            print a verdict for every record, other events included
  --reader-role R  role assumed in other accounts without --world (default ebsguard-reader)
  --securityhub    import the findings into Security Hub, in the caller's account and Region

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
	if slices.ContainsFunc(args[1:], isHelp) {
		// "ebsguard replay --help" is a question, not a usage error.
		return run(ctx, []string{"help", args[0]}, stdin, stdout, stderr)
	}
	switch args[0] {
	case "replay":
		return replay(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, args[1:], stdout, stderr)
	case "backfill":
		return cmdBackfill(ctx, args[1:], stdout, stderr)
	case "world":
		return cmdWorld(ctx, args[1:], stdin, stdout, stderr)
	case "doctor":
		return cmdDoctor(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		switch {
		case len(args) > 1 && args[1] == "audit":
			fmt.Fprint(stdout, auditUsage)
		case len(args) > 1 && args[1] == "backfill":
			fmt.Fprint(stdout, backfillUsage)
		case len(args) > 1 && args[1] == "doctor":
			fmt.Fprint(stdout, doctorUsage)
		case len(args) > 1 && (args[1] == "capture" || args[1] == "world"):
			fmt.Fprint(stdout, captureUsage)
		default:
			fmt.Fprint(stdout, usage)
		}
		return 0
	default:
		fmt.Fprintf(stderr, "ebsguard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
