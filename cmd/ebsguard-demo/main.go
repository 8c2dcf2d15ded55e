// Command ebsguard-demo runs the real Lambda locally, end to end, on the
// samples (or EVENTS with WORLD), and prints what the security team's queue
// received. `make demo` builds what it needs and runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

func main() {
	rie := flag.String("rie", ".build/aws-lambda-rie", "the runtime interface emulator")
	bootstrap := flag.String("bootstrap", ".build/local/bootstrap", "the Lambda bootstrap, built for this machine")
	events := flag.String("events", "events/samples", "a folder of samples, one sample folder, or event files (with -world)")
	worldPath := flag.String("world", "", "the world file for -events that are not samples; with -serve, or with a command after the flags (-world FILE -- COMMAND ARGS...: run it against the local endpoints, then stop them), the world served")
	verbose := flag.Bool("v", false, "show what the emulator and the function print")
	serveEnv := flag.String("serve", "", "only serve the local endpoints for -world and write the function's environment to this file (for sam local invoke --env-vars)")
	backoff := flag.String("recheck-backoff", defaultBackoff, "the function's RECHECK_BACKOFF: delays between re-checks, scaled down from minutes for the demo")
	deadline := flag.String("recheck-deadline", defaultDeadline, "the function's RECHECK_DEADLINE: how long re-checks go on, scaled down from 49h for the demo")
	dynalite := flag.String("dynalite", localrun.FindDynalite("."), "dynalite's cli.js, for the delivery table (make dynalite; empty: no table)")
	flag.Parse()
	settings := recheckSettings(*backoff, *deadline)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *serveEnv != "" {
		os.Exit(serve(ctx, *worldPath, *serveEnv, os.Stdout))
	}
	if flag.NArg() > 0 {
		// ebsguard-demo -world FILE -- COMMAND...: the command against the
		// endpoints, which stop when it ends.
		os.Exit(execLocal(ctx, *worldPath, flag.Args(), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(run(ctx, *rie, *bootstrap, *events, *worldPath, *dynalite, settings, *verbose, os.Stdout))
}

// The demo's re-check schedule (the Makefile passes the same): seconds instead
// of the deployed minutes, so that a copy pending on arrival is reported on a
// re-check within the run.
const (
	defaultBackoff  = "1s"
	defaultDeadline = "5s"
)

// recheckSettings scales re-checks down through the function's own settings,
// not through a code path of the demo's.
func recheckSettings(backoff, deadline string) []string {
	return []string{"RECHECK_BACKOFF=" + backoff, "RECHECK_DEADLINE=" + deadline}
}

// serve starts localaws and goaws for a world, writes the function's
// environment (for SAM) and the same for a shell once both answer, prints
// the notifications as they arrive until interrupted, then removes the files
// so that a stale one cannot be sourced.
func serve(ctx context.Context, worldPath, envFile string, out io.Writer) int {
	ep, err := startEndpoints(worldPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ebsguard-demo: %v\n", err)
		return 2
	}
	defer ep.Close()
	b, _ := json.MarshalIndent(map[string]any{"GuardrailFunction": ep.vars}, "", "  ")
	// The same variables for a shell, so that `ebsguard audit`, `replay`
	// and `world capture` reach the local endpoints too: `. <file>.env`.
	shellFile := strings.TrimSuffix(envFile, filepath.Ext(envFile)) + ".env"
	exports, unset := ep.shellFile()
	for _, f := range []struct {
		path string
		b    []byte
	}{{envFile, append(b, '\n')}, {shellFile, []byte("# the local endpoints of ebsguard-demo -serve; once they stop:\n# " + unset + "\n" + exports)}} {
		if err := os.WriteFile(f.path, f.b, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "ebsguard-demo: %v\n", err)
			return 1
		}
		defer os.Remove(f.path)
	}
	fmt.Fprintf(out, "localaws (EC2, KMS, STS, CloudTrail, Organizations, Security Hub) at %s, SNS and SQS at %s, serving %s.\n", ep.aws.URL(), ep.sns.URL, worldPath)
	fmt.Fprintf(out, "Re-checks the function queues wait in %s; nothing plays their event source mapping in this mode.\n", ep.sns.RecheckQueueURL)
	fmt.Fprintf(out, "Ready. Function environment in %s; for a shell in %s. In another shell:\n", envFile, shellFile)
	fmt.Fprintf(out, "  sam local invoke GuardrailFunction --docker-network host --env-vars %s -e <event.json>\n", envFile)
	fmt.Fprintf(out, "  . %s    # then ebsguard audit, replay or world capture reach these endpoints; afterwards:\n", shellFile)
	fmt.Fprintf(out, "  %s\n", unset)
	fmt.Fprintln(out, "Notifications appear below; Ctrl-C stops the endpoints and removes both files.")
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(time.Second):
		}
		got, err := ep.sns.Receive()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ebsguard-demo: %v\n", err)
		}
		for _, n := range got {
			printNotification(out, "sam", n)
		}
	}
}

func run(ctx context.Context, rie, bootstrap, events, worldPath, dynalite string, settings []string, verbose bool, out io.Writer) int {
	samples, err := localrun.LoadSamples(events, worldPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ebsguard-demo: %v\n", err)
		return 1
	}
	// Events arrive now, as in a live account (restamp), led by the story.
	now := time.Now()
	for i := range samples {
		samples[i].Event = restamp(samples[i].Event, now)
	}
	samples = leadWith(samples, leadSamples)
	// Security Hub on, with an outage for the first fall-back of the story.
	settings = append([]string{hubSetting}, settings...)
	outage := &hubOutage{sample: leadSamples[0], calls: outageImports}
	var fnOut io.Writer
	if verbose {
		fnOut = os.Stderr
	}
	fmt.Fprintf(out, "Starting localaws (EC2, KMS, STS, Security Hub), goaws (SNS -> SQS, and the re-check queue) and the Lambda under the runtime interface emulator, on 127.0.0.1.\n")
	// What a first-time reader needs to follow the re-check lines below.
	fmt.Fprintf(out, "A result not visible yet (a copy still pending) is checked again through the re-check queue, here after seconds\n")
	fmt.Fprintf(out, "instead of minutes: the function's own settings %s (deployed: 1m,2m,5m,10m,15m and 49h).\n", strings.Join(settings, " "))
	fmt.Fprintf(out, "Each event is sent as if its call had just been made (its eventTime set to now), first the silent fall-back to a\n")
	fmt.Fprintf(out, "default key caught at once, then one caught on a re-check once the copy is visible.\n")
	fmt.Fprintf(out, "Security Hub is on (%s); for %s it denies %s, and the e-mail goes out all the same.\n",
		hubSetting, outage.sample, count(outage.calls, "import"))
	fmt.Fprintf(out, "Sending %s through the function:\n\n", count(len(samples), "event file"))
	results, aws, err := localrun.Run(ctx, localrun.Options{
		RIE: rie, Bootstrap: bootstrap, Samples: samples, FunctionOutput: fnOut, Settings: settings, Dynalite: dynalite,
		BeforeSample: outage.before,
		Progress: func(done, total int, r localrun.Result) {
			isOutage := r.Sample == outage.sample && outage.started
			if isOutage {
				outage.end()
			}
			status := []string{}
			for _, v := range r.Verdicts[:len(r.Verdicts)-recheckVerdicts(r)] {
				var vv verify.Verdict
				json.Unmarshal(v, &vv)
				s := vv.Status
				if vv.Reason != "" {
					s += " (" + vv.Reason + ")"
				}
				if vv.Status == verify.StatusPending && len(r.Rechecks) > 0 {
					s += " on arrival: not visible yet, checked again"
				}
				status = append(status, s)
			}
			line := fmt.Sprintf("  [%2d/%d] %-36s %s", done, total, r.Sample, strings.Join(status, ","))
			if n := len(r.Notifications) - recheckNotes(r); n > 0 {
				line += "  -> " + count(n, "notification")
			}
			if r.Err != nil {
				line += "  ERROR: " + r.Err.Error()
			}
			fmt.Fprintln(out, line)
			if isOutage {
				fmt.Fprintln(out, "         "+outage.arrivalLine(len(r.Notifications)-recheckNotes(r) > 0))
			}
			for _, rc := range r.Rechecks {
				note := ""
				if isOutage {
					note = outage.recheckNote(rc)
				}
				fmt.Fprintln(out, "         "+recheckLine(rc)+note)
			}
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ebsguard-demo: %v\n", err)
		return 1
	}
	var imported []localaws.ImportedFinding
	if aws != nil {
		imported = aws.ImportedFindings()
	}
	h, ok := outage.outcome(results, imported)
	return report(out, results, h, ok)
}

// report prints the notifications as the security team reads them, then a summary.
func report(out io.Writer, results []localrun.Result, hub hubOutcome, outage bool) int {
	fmt.Fprintf(out, "\nWhat the security team's queue received:\n")
	statuses := map[string]int{}
	findings := map[string]int{}
	counted := map[[3]string]bool{} // (event, resource, code): a finding counts once
	records, notifications, failed, rechecks := 0, 0, 0, 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
		// An event counts once, by where it ended: its last verdict; its
		// findings count wherever they were first reported.
		final := map[string]verify.Verdict{}
		var order []string
		for _, raw := range r.Verdicts {
			var v verify.Verdict
			if json.Unmarshal(raw, &v) != nil {
				continue
			}
			if _, seen := final[v.EventID]; !seen {
				order = append(order, v.EventID)
			}
			final[v.EventID] = v
			for _, f := range v.Findings {
				// A re-check that retries Security Hub alone evaluates
				// the same findings again: they count once.
				if k := [3]string{v.EventID, f.Resource, f.Code}; !counted[k] {
					counted[k] = true
					findings[f.Code]++
				}
			}
		}
		for _, id := range order {
			records++
			statuses[final[id].Status]++
		}
		rechecks += len(r.Rechecks)
		// Which re-check sent a notification, so that a finding reported
		// later says when.
		from := map[string]string{}
		for _, rc := range r.Rechecks {
			for _, n := range rc.Notifications {
				from[n.MessageID] = fmt.Sprintf(", re-check #%d, %s after arrival", rc.Attempt, rc.After.Round(100*time.Millisecond))
			}
		}
		for _, n := range r.Notifications {
			notifications++
			printNotification(out, r.Sample+from[n.MessageID], n)
		}
	}
	fmt.Fprintf(out, "\nSummary: %s: %d compliant, %d violation, %d pending, %d skipped, %d error; %s; %s",
		count(records, "event"), statuses["compliant"], statuses["violation"], statuses["pending"], statuses["skipped"], statuses["error"],
		count(rechecks, "re-check"), count(notifications, "notification"))
	if failed > 0 {
		fmt.Fprintf(out, "; %s FAILED", count(failed, "event file"))
	}
	fmt.Fprintln(out)
	codes := make([]string, 0, len(findings))
	for c := range findings {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(out, "  %-22s %d\n", c, findings[c])
	}
	writeStory(out, results)
	if outage {
		writeOutage(out, hub)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func printNotification(out io.Writer, sample string, n localrun.Notification) {
	var v verify.Verdict
	if err := json.Unmarshal([]byte(n.Message), &v); err != nil {
		fmt.Fprintf(out, "\n== %s\n   (not a verdict: %v)\n", n.Subject, err)
		return
	}
	fmt.Fprintf(out, "\n== %s   [%s]\n", n.Subject, sample)
	fmt.Fprintf(out, "   %s by %s at %s\n", v.EventName, v.Principal, v.EventTime)
	if v.Status == verify.StatusError {
		// An operational notice: what could not be checked and why.
		fmt.Fprintf(out, "   attributes: status=%s error=%s\n", n.MessageAttributes["status"], n.MessageAttributes["error"])
		fmt.Fprintf(out, "   why: %s\n", wrap(v.Reason, 100, "        "))
		return
	}
	fmt.Fprintf(out, "   attributes: status=%s severity=%s findings=%s\n", n.MessageAttributes["status"], n.MessageAttributes["severity"], n.MessageAttributes["findings"])
	for _, f := range v.Findings {
		fmt.Fprintf(out, "   - %s (%s) on %s\n", f.Code, f.Severity, f.Resource)
		for _, r := range v.Resources {
			if r.Resource == f.Resource && r.Actual != nil {
				intended := notify.IntendedKey(r, f.Code)
				actual := r.Actual.KMSKeyARN
				if !r.Actual.Encrypted {
					actual = "unencrypted"
				}
				if line, ok := notify.SettingsLine(v, r); ok {
					fmt.Fprintf(out, "     rule %s; now %s\n", r.Rule, line)
					break
				}
				fmt.Fprintf(out, "     rule %s; intended %s; actual %s\n", r.Rule, intended, actual)
				break
			}
		}
		fmt.Fprintf(out, "     %s\n", wrap(f.Text(), 100, "     "))
	}
}

// recheckVerdicts and recheckNotes count what a sample's re-checks added to
// its verdicts and notifications.
func recheckVerdicts(r localrun.Result) int {
	n := 0
	for _, rc := range r.Rechecks {
		n += len(rc.Verdicts)
	}
	return n
}

func recheckNotes(r localrun.Result) int {
	n := 0
	for _, rc := range r.Rechecks {
		n += len(rc.Notifications)
	}
	return n
}

// recheckLine says what one re-check found, and when, e.g. "re-check #2,
// 2s after arrival: violation DEFAULT_KEY_FALLBACK -> 1 notification(s)".
func recheckLine(rc localrun.Recheck) string {
	line := fmt.Sprintf("re-check #%d, %s after arrival:", rc.Attempt, rc.After.Round(100*time.Millisecond))
	for _, raw := range rc.Verdicts {
		var v verify.Verdict
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		line += " " + v.Status
		if v.Status == verify.StatusPending {
			line += " (still not visible)"
		}
		if codes := v.Codes(); len(codes) > 0 {
			line += " " + strings.Join(codes, ",")
		}
		if v.Reason != "" {
			line += " (" + v.Reason + ")"
		}
	}
	if n := len(rc.Notifications); n > 0 {
		line += "  -> " + count(n, "notification")
	}
	if rc.Failed {
		line += "  (failed: the message comes back)"
	}
	if rc.Err != nil {
		line += "  ERROR: " + rc.Err.Error()
	}
	return line
}

// wrap breaks a long message into lines for the terminal.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+len(w)+1 > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// count writes a number with its noun: "1 event", "2 events".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// shellQuote quotes a value for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
