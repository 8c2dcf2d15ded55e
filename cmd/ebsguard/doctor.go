package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/audit"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

const doctorUsage = `usage: ebsguard doctor [--accounts ID,...|all] [--regions R,...|all] [--bus ARN]
                       [--function NAME] [--topic ARN] [--queues URL,...]
                       [--alarm-prefix PREFIX] [--securityhub]

Checks an ebsguard deployment, as the auditor (the role the member stacks name
in AuditorRoleArn), and prints a table: for every member account and Region,
the forwarding rule exists, is enabled and targets the central bus, and the
reader role can be assumed and answers a read; in the caller's account and
Region (the central one), what is named: the function and its event source
mapping, the queues, the topic's confirmed subscriptions, the alarms,
Security Hub. docs/doctor.md lists the permissions it needs.

  --accounts A      account IDs, comma-separated, or all (the organization's);
                    default the caller's
  --regions R       Regions, comma-separated, or all; default the caller's
  --bus ARN         the central bus the rules must target (default the
                    caller's account and Region's bus named ebsguard)
  --reader-role R   the member role read through (default ebsguard-auditor: the
                    function's ebsguard-reader trusts the function alone)
  --doctor-role R   the member role that reads the forwarding rule (default ebsguard-doctor)
  --function NAME   the central function: it exists, is active, and its
                    event source mapping is enabled
  --topic ARN       the findings topic: at least one confirmed subscription
  --queues URLS     the queues (re-check, dead-letter): they exist
  --alarm-prefix P  the alarms whose name starts with P (the central stack's
                    name): none in ALARM
  --securityhub     Security Hub is enabled (it then accepts the imports)

Exit status: 0 when every check passed, 1 when one failed (each failure says
what to fix), 2 on a usage error.
`

type doctorOptions struct {
	selection
	bus, doctorRole            string
	function, topic, alarmsPfx string
	queues                     []string
	securityHub                bool
}

func parseDoctor(args []string, now time.Time) (doctorOptions, error) {
	var o doctorOptions
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.selection.flags(fs)
	var queues string
	fs.StringVar(&o.bus, "bus", "", "")
	fs.StringVar(&o.doctorRole, "doctor-role", deployment.DoctorRoleName, "")
	fs.StringVar(&o.function, "function", "", "")
	fs.StringVar(&o.topic, "topic", "", "")
	fs.StringVar(&queues, "queues", "", "")
	fs.StringVar(&o.alarmsPfx, "alarm-prefix", "", "")
	fs.BoolVar(&o.securityHub, "securityhub", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, q := range strings.Split(queues, ",") {
		if q = strings.TrimSpace(q); q != "" {
			o.queues = append(o.queues, q)
		}
	}
	return o, o.selection.resolve(now)
}

// checkResult is one row of the doctor's table.
type checkResult struct {
	scope, check string
	ok           bool
	detail       string // what was found; for a failure, what to fix
	notEnabled   bool   // the account has not enabled the Region
}

// doctorAPIs opens the clients of the doctor's reads: the members' through
// the doctor role (EventBridge) and the reader role (EC2), the central
// account's with the caller's own credentials.
type doctorAPIs struct {
	rules   func(ctx context.Context, account, region string) (RulesAPI, error)
	reader  func(ctx context.Context, account, region string) (ReaderProbeAPI, error)
	central centralAPIs
}

// RulesAPI is the part of EventBridge the doctor calls in a member account.
type RulesAPI interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// ReaderProbeAPI is the cheap read the doctor makes through the reader role.
type ReaderProbeAPI interface {
	GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, opts ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error)
}

var (
	_ RulesAPI       = (*eventbridge.Client)(nil)
	_ ReaderProbeAPI = (*ec2.Client)(nil)
)

func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseDoctor(args, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard doctor: %v\n\n%s", err, doctorUsage)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ebsguard doctor: %v\n", err)
		return 1
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fail(fmt.Errorf("load AWS configuration: %w", err))
	}
	env, err := setupAudit(ctx, cfg, o.selection)
	if err != nil {
		return fail(err)
	}
	if o.bus == "" {
		o.bus = deployment.EventBusARN(env.caller.Partition, cfg.Region, env.caller.Account, "ebsguard")
	}
	doctor := accounts.New(cfg, o.doctorRole)
	apis := doctorAPIs{
		rules: func(ctx context.Context, account, region string) (RulesAPI, error) {
			c, err := doctor.Config(ctx, account, region)
			if err != nil {
				return nil, err
			}
			return eventbridge.NewFromConfig(c), nil
		},
		reader: func(ctx context.Context, account, region string) (ReaderProbeAPI, error) {
			c, err := env.provider.Config(ctx, account, region)
			if err != nil {
				return nil, err
			}
			return ec2.NewFromConfig(c), nil
		},
		central: centralAPIs{
			lambda: lambda.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg),
			cloudwatch: cloudwatch.NewFromConfig(cfg), securityhub: securityhub.NewFromConfig(cfg),
		},
	}
	var done, total atomic.Int64
	prog := startProgressLine(stderr, isTerminal(stderr), isTerminal(stdout), func(elapsed time.Duration) string {
		return fmt.Sprintf("doctor: %s/%s checks  %ds", thousands(done.Load()), thousands(total.Load()), int(elapsed.Seconds()))
	})
	for _, n := range env.notes {
		prog.printf("ebsguard doctor: %s\n", n)
	}
	results := runDoctor(ctx, o, env.targets, apis, &done, &total)
	prog.finish()
	failed := writeDoctorTable(stdout, results)
	if failed > 0 {
		fmt.Fprintf(stderr, "ebsguard doctor: %s failed; each says what to fix\n", count(failed, "check"))
		return 1
	}
	return 0
}

// doctorParallel bounds the accounts and Regions checked at once.
const doctorParallel = 8

// runDoctor makes every check: two per member account and Region, then the
// central ones that are named. Results come in a stable order: the central
// checks first, then by account and Region as the targets are.
func runDoctor(ctx context.Context, o doctorOptions, targets []audit.Target, apis doctorAPIs, done, total *atomic.Int64) []checkResult {
	central := centralChecks(o)
	total.Store(int64(2*len(targets) + len(central)))
	results := make([][]checkResult, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, doctorParallel)
	centralAccount := busAccount(o.bus)
	for i, t := range targets {
		wg.Go(func() {
			scope := t.Account + " " + t.Region
			if t.Account == centralAccount {
				// The central account is no member (docs/deploy.md): its
				// events reach the function through the central stack's own
				// rule and are read with the function's role. A member stack
				// there would evaluate them twice.
				ok := "the central account: no member stack (its events reach the function through the central stack's own rule)"
				results[i] = []checkResult{{scope: scope, check: "forwarding rule", ok: true, detail: ok},
					{scope: scope, check: "reader role", ok: true, detail: "the central account: read with the function's own role"}}
				done.Add(2)
				return
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			r1 := checkForwarding(ctx, apis, o.bus, t)
			done.Add(1)
			r2 := checkReader(ctx, apis, o.readerRole, t)
			done.Add(1)
			if t.Discovered && r2.notEnabled {
				// --regions all: a Region the account has not enabled has
				// nothing to forward, as the audit counts it.
				r1 = checkResult{check: r1.check, ok: true, detail: "Region not enabled by the account: nothing to check"}
				r2 = checkResult{check: r2.check, ok: true, detail: r1.detail}
			}
			r1.scope, r2.scope = scope, scope
			results[i] = []checkResult{r1, r2}
		})
	}
	var out []checkResult
	for _, c := range central {
		r := c(ctx, apis.central)
		r.scope = "central"
		out = append(out, r)
		done.Add(1)
	}
	wg.Wait()
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// checkForwarding: the member's forwarding rule exists on its default bus,
// is enabled, and targets the central bus.
func checkForwarding(ctx context.Context, apis doctorAPIs, bus string, t audit.Target) checkResult {
	r := checkResult{check: "forwarding rule"}
	where := fmt.Sprintf("in account %s, Region %s", t.Account, t.Region)
	api, err := apis.rules(ctx, t.Account, t.Region)
	if err != nil {
		r.detail = fmt.Sprintf("cannot read the rule %s: %v", where, err)
		return r
	}
	rule, err := api.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(deployment.ForwardRuleName)})
	switch code := errorCode(err); {
	case code == "ResourceNotFoundException":
		r.detail = fmt.Sprintf("no rule %s %s: deploy the member stack there (add the account or Region to the StackSet's instances; "+
			"a service-managed StackSet skips the management account, which needs a stack of its own)", deployment.ForwardRuleName, where)
		return r
	case isAssumeDenied(err):
		r.detail = fmt.Sprintf("cannot assume the %s role %s: deploy the member stack with AuditorRoleArn set to the role you run as (%v)", deployment.DoctorRoleName, where, err)
		return r
	case err != nil:
		r.detail = fmt.Sprintf("describe rule %s %s: %v", deployment.ForwardRuleName, where, err)
		return r
	}
	if rule.State != "ENABLED" {
		r.detail = fmt.Sprintf("rule %s is %s %s: aws events enable-rule --name %s --region %s (as account %s); "+
			"until then its events are not evaluated", deployment.ForwardRuleName, rule.State, where, deployment.ForwardRuleName, t.Region, t.Account)
		return r
	}
	targets, err := api.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(deployment.ForwardRuleName)})
	if err != nil {
		r.detail = fmt.Sprintf("list the targets of rule %s %s: %v", deployment.ForwardRuleName, where, err)
		return r
	}
	var arns []string
	for _, tg := range targets.Targets {
		arns = append(arns, aws.ToString(tg.Arn))
	}
	if !slices.Contains(arns, bus) {
		r.detail = fmt.Sprintf("rule %s %s targets %v, not the central bus %s: update the StackSet's CentralEventBusArn parameter", deployment.ForwardRuleName, where, arns, bus)
		return r
	}
	r.ok, r.detail = true, "enabled, targets "+bus
	return r
}

// checkReader: the reader role can be assumed and answers a cheap read.
func checkReader(ctx context.Context, apis doctorAPIs, role string, t audit.Target) checkResult {
	r := checkResult{check: "reader role"}
	api, err := apis.reader(ctx, t.Account, t.Region)
	if err == nil {
		_, err = api.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
	}
	r.notEnabled = audit.IsNotEnabled(err)
	switch {
	case err == nil:
		r.ok, r.detail = true, "assumed; GetEbsEncryptionByDefault answered"
	case isAssumeDenied(err):
		r.detail = fmt.Sprintf("cannot assume %s in account %s: deploy the member stack there (its ReaderRoleRegion instance creates the role), or fix its trust policy or the SCP that denies sts:AssumeRole (%v)", role, t.Account, err)
	default:
		r.detail = fmt.Sprintf("%s in account %s, Region %s does not answer ec2:GetEbsEncryptionByDefault: check the SCPs and the role's policy (%v)", role, t.Account, t.Region, err)
	}
	return r
}

// busAccount is the account of a bus ARN (arn:aws:events:Region:account:event-bus/name),
// the central account; "" for a name.
func busAccount(bus string) string {
	if parts := strings.SplitN(bus, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// isAssumeDenied: the role could not be assumed (STS AssumeRole denied, or
// the role does not exist), by the error's class, not its text.
func isAssumeDenied(err error) bool {
	return verify.ClassOf(err) == verify.ClassReaderRole
}

// writeDoctorTable prints the results and returns how many failed.
func writeDoctorTable(w io.Writer, results []checkResult) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tCHECK\tSTATUS\tDETAIL")
	failed := 0
	for _, r := range results {
		st := "ok"
		if !r.ok {
			st, failed = "FAIL", failed+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.scope, r.check, st, oneLine(r.detail))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s, %s failed\n", count(len(results), "check"), strconv.Itoa(failed))
	return failed
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
