package audit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// org pages its accounts two at a time.
type org struct {
	accounts []orgtypes.Account
	err      error
	calls    int
}

func (o *org) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	o.calls++
	if o.err != nil {
		return nil, o.err
	}
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	to := min(from+2, len(o.accounts))
	out := &organizations.ListAccountsOutput{Accounts: o.accounts[from:to]}
	if to < len(o.accounts) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func TestOrganizationAccounts(t *testing.T) {
	acct := func(id string, state orgtypes.AccountState, status orgtypes.AccountStatus) orgtypes.Account {
		return orgtypes.Account{Id: aws.String(id), State: state, Status: status}
	}
	o := &org{accounts: []orgtypes.Account{
		acct("111111111111", orgtypes.AccountStateActive, orgtypes.AccountStatusActive),
		acct("222222222222", orgtypes.AccountStateSuspended, orgtypes.AccountStatusSuspended),
		acct("333333333333", "", orgtypes.AccountStatusActive), // no State yet: Status decides
		acct("444444444444", orgtypes.AccountStatePendingClosure, orgtypes.AccountStatusActive),
		acct("555555555555", orgtypes.AccountStateActive, ""),
		acct("666666666666", orgtypes.AccountStateClosed, ""),
		acct("111111111111", orgtypes.AccountStateActive, orgtypes.AccountStatusActive), // listed twice
	}}
	got, err := OrganizationAccounts(context.Background(), o)
	want := []string{"111111111111", "333333333333", "555555555555"}
	if err != nil || !slices.Equal(got, want) || o.calls != 4 {
		t.Errorf("accounts %v, %v in %d calls; want %v in 4", got, err, o.calls, want)
	}

	tests := []struct {
		name       string
		err        error
		notListed  bool
		wantInText string
	}{
		{"a member account", &orgtypes.AccessDeniedException{Message: aws.String("You don't have permissions")}, true, "--accounts 111111111111,222222222222"},
		{"no organization", &orgtypes.AWSOrganizationsNotInUseException{Message: aws.String("not a member")}, true, "--accounts"},
		{"throttled", &orgtypes.TooManyRequestsException{Message: aws.String("slow down")}, false, "slow down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OrganizationAccounts(context.Background(), &org{err: tt.err})
			if err == nil || errors.Is(err, ErrAccountsNotListed) != tt.notListed || !strings.Contains(err.Error(), tt.wantInText) {
				t.Errorf("error %v; want ErrAccountsNotListed %v and %q in it", err, tt.notListed, tt.wantInText)
			}
		})
	}
}

type regionsAPI struct {
	in  *ec2.DescribeRegionsInput
	out []ec2types.Region
	err error
}

func (r *regionsAPI) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	r.in = in
	return &ec2.DescribeRegionsOutput{Regions: r.out}, r.err
}

func TestPartitionRegions(t *testing.T) {
	region := func(name, status string) ec2types.Region {
		return ec2types.Region{RegionName: aws.String(name), OptInStatus: aws.String(status)}
	}
	api := &regionsAPI{out: []ec2types.Region{
		region("us-east-1", "opt-in-not-required"), region("af-south-1", "not-opted-in"),
		region("eu-south-1", "opted-in"), region("Not A Region", "opted-in"),
	}}
	got, err := PartitionRegions(context.Background(), api)
	want := []Region{{"af-south-1", "not-opted-in"}, {"eu-south-1", "opted-in"}, {"us-east-1", "opt-in-not-required"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("regions %v, %v; want %v", got, err, want)
	}
	if !aws.ToBool(api.in.AllRegions) {
		t.Error("DescribeRegions without AllRegions: the Regions the caller has not enabled would be missing")
	}
	if enabled := []bool{got[0].EnabledForCaller(), got[1].EnabledForCaller(), got[2].EnabledForCaller()}; !slices.Equal(enabled, []bool{false, true, true}) {
		t.Errorf("enabled for caller = %v", enabled)
	}
	_, err = PartitionRegions(context.Background(), &regionsAPI{err: &smithy.GenericAPIError{Code: "UnauthorizedOperation"}})
	if err == nil || !strings.Contains(err.Error(), "--regions") {
		t.Errorf("error %v; want it to say how to name the Regions", err)
	}
}

func TestTargets(t *testing.T) {
	regions := []Region{{"af-south-1", "not-opted-in"}, {"eu-west-1", "opt-in-not-required"}}
	tests := []struct {
		name       string
		named      []string
		discovered []Region
		want       []Target
	}{
		{"named Regions, everywhere", []string{"eu-west-1", "us-east-1"}, nil, []Target{
			{"111111111111", "eu-west-1", false}, {"111111111111", "us-east-1", false},
			{"222222222222", "eu-west-1", false}, {"222222222222", "us-east-1", false}}},
		{"discovered: the caller's own account only where it enabled them", nil, regions, []Target{
			{"111111111111", "eu-west-1", true},
			{"222222222222", "af-south-1", true}, {"222222222222", "eu-west-1", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Targets([]string{"111111111111", "222222222222"}, "111111111111", tt.named, tt.discovered); !slices.Equal(got, tt.want) {
				t.Errorf("Targets = %v; want %v", got, tt.want)
			}
		})
	}
}

// events is one target's fake event history: every event name lists n
// records, one page each.
type events struct {
	account, region string
	n               int
	err             error
	inflight, most  *atomic.Int64
}

func (e *events) LookupEvents(_ context.Context, in *cloudtrail.LookupEventsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	if e.inflight != nil {
		n := e.inflight.Add(1)
		defer e.inflight.Add(-1)
		for {
			m := e.most.Load()
			if n <= m || e.most.CompareAndSwap(m, n) {
				break
			}
		}
		runtime.Gosched()
	}
	if e.err != nil {
		return nil, e.err
	}
	name := aws.ToString(in.LookupAttributes[0].AttributeValue)
	out := &cloudtrail.LookupEventsOutput{}
	for i := range e.n {
		id := fmt.Sprintf("%s/%s/%s/%d", e.account, e.region, name, i)
		rec := fmt.Sprintf(`{"eventID":%q,"eventName":%q,"awsRegion":%q,"recipientAccountId":%q,"eventTime":"2026-11-20T10:00:00Z"}`, id, name, e.region, e.account)
		out.Events = append(out.Events, cttypes.Event{EventId: aws.String(id), EventName: aws.String(name), CloudTrailEvent: aws.String(rec)})
	}
	return out, nil
}

// judge is a fake engine: a CopyImage is a violation, anything else compliant.
func judge(_ context.Context, it ct.Item) verify.Verdict {
	v := verify.Verdict{Status: verify.StatusCompliant}
	if it.Record != nil {
		v.EventID, v.EventName, v.Account, v.Region = string(it.Record.EventID), string(it.Record.EventName), it.Record.Account(), string(it.Record.AWSRegion)
	}
	if v.EventName == "CopyImage" {
		v.Status = verify.StatusViolation
	}
	return v
}

func noWait() *trail.Pacer {
	return trail.NewPacer(trail.WithClock(time.Now, func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
}

func TestRun(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "explicit deny in a service control policy"}
	unrecognized := &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
	targets := []Target{
		{"111111111111", "eu-west-1", false},
		{"111111111111", "us-east-1", false},
		{"222222222222", "eu-west-1", true},
		{"222222222222", "af-south-1", true}, // not enabled
		{"333333333333", "eu-west-1", true},  // denied
		{"444444444444", "eu-west-1", true},  // no reader role
	}
	open := func(_ context.Context, account, region string) (trail.API, error) {
		switch {
		case account == "444444444444":
			return nil, errors.New("assume role arn:aws:iam::444444444444:role/ebsguard-reader: AccessDenied")
		case region == "af-south-1":
			return &events{err: unrecognized}, nil
		case account == "333333333333":
			return &events{err: denied}, nil
		}
		return &events{account: account, region: region, n: 3}, nil
	}
	var got []verify.Verdict
	var prog Progress
	rep := Run(context.Background(), Config{
		Targets: targets, Open: open, Evaluate: judge, Pacer: noWait(),
		Query: trail.Query{EventNames: []string{"RunInstances", "CopyImage"}},
	}, &prog, func(_ ct.Item, v verify.Verdict) { got = append(got, v) })

	t.Run("every event of the targets that answered, evaluated once", func(t *testing.T) {
		var ids []string
		for _, v := range got {
			ids = append(ids, v.EventID)
		}
		slices.Sort(ids)
		var want []string
		for _, tg := range targets[:3] {
			for _, name := range []string{"CopyImage", "RunInstances"} {
				for i := range 3 {
					want = append(want, fmt.Sprintf("%s/%s/%s/%d", tg.Account, tg.Region, name, i))
				}
			}
		}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("verdicts for\n%v\nwant\n%v", ids, want)
		}
	})
	t.Run("outcomes", func(t *testing.T) {
		want := []Outcome{Done, Done, Done, NotEnabled, Failed, Failed}
		for i, r := range rep.Results {
			if r.Target != targets[i] || r.Outcome != want[i] {
				t.Errorf("result %d = %v %s (%v); want %v %s", i, r.Target, r.Outcome, r.Err, targets[i], want[i])
			}
		}
		if r := rep.Results[0]; r.Calls != 2 || r.Events != 6 {
			t.Errorf("first target: %d calls, %d events; want 2 and 6", r.Calls, r.Events)
		}
		if err := rep.Results[4].Err; !errors.Is(err, denied) || !strings.Contains(err.Error(), "333333333333 in eu-west-1") {
			t.Errorf("denied target's error %v; want it to name the target and keep the cause", err)
		}
	})
	t.Run("progress", func(t *testing.T) {
		counts := []int64{prog.Accounts.Load(), prog.AccountsDone.Load(), prog.Targets.Load(), prog.TargetsDone.Load(), prog.Events.Load(), prog.Evaluated.Load(), prog.Violations.Load()}
		if want := []int64{4, 4, 6, 6, 18, 18, 9}; !slices.Equal(counts, want) {
			t.Errorf("accounts, done, targets, done, events, evaluated, violations = %v; want %v", counts, want)
		}
	})
	t.Run("problems: the failures, not the Region that is not enabled", func(t *testing.T) {
		ps := rep.Problems()
		if len(ps) != 2 || !errors.Is(ps[0], denied) || !strings.Contains(ps[1].Error(), "444444444444") {
			t.Errorf("problems %v; want the denied Region and the missing reader role", ps)
		}
	})
	t.Run("per account", func(t *testing.T) {
		want := []Account{{"111111111111", 2, 0, 0, 0, 12}, {"222222222222", 1, 1, 0, 0, 6}, {"333333333333", 0, 0, 1, 0, 0}, {"444444444444", 0, 0, 1, 0, 0}}
		if got := rep.Accounts(); !slices.Equal(got, want) {
			t.Errorf("Accounts = %v; want %v", got, want)
		}
	})
}

func TestRunBounds(t *testing.T) {
	var inflight, most atomic.Int64
	var targets []Target
	for i := range 12 {
		targets = append(targets, Target{Account: fmt.Sprintf("%012d", 100000000000+i), Region: "eu-west-1"})
	}
	open := func(_ context.Context, account, region string) (trail.API, error) {
		return &events{account: account, region: region, n: 1, inflight: &inflight, most: &most}, nil
	}
	var evaluating, evaluatingMost atomic.Int64
	eval := func(ctx context.Context, it ct.Item) verify.Verdict {
		n := evaluating.Add(1)
		defer evaluating.Add(-1)
		for m := evaluatingMost.Load(); n > m && !evaluatingMost.CompareAndSwap(m, n); m = evaluatingMost.Load() {
		}
		runtime.Gosched()
		return judge(ctx, it)
	}
	n := 0
	Run(context.Background(), Config{Targets: targets, Open: open, Evaluate: eval, Pacer: noWait(), Parallel: 3, Evaluators: 2,
		Query: trail.Query{EventNames: []string{"CopyImage"}}}, nil, func(ct.Item, verify.Verdict) { n++ })
	if n != 12 || most.Load() > 3 || evaluatingMost.Load() > 2 {
		t.Errorf("%d verdicts, at most %d reads and %d evaluations at once; want 12, ≤ 3, ≤ 2", n, most.Load(), evaluatingMost.Load())
	}
}

// Cancelling stops the run: no verdict is emitted once cancelled, and the
// targets not read are Interrupted, which is no problem to report.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var targets []Target
	for i := range 5 {
		targets = append(targets, Target{Account: fmt.Sprintf("%012d", 100000000000+i), Region: "eu-west-1"})
	}
	open := func(_ context.Context, account, region string) (trail.API, error) {
		return &events{account: account, region: region, n: 2}, nil
	}
	var mu sync.Mutex
	evaluated := 0
	eval := func(ctx context.Context, it ct.Item) verify.Verdict {
		mu.Lock()
		evaluated++
		if evaluated == 2 {
			cancel() // Ctrl-C during the second evaluation
		}
		mu.Unlock()
		return judge(ctx, it)
	}
	var emitted []string
	rep := Run(ctx, Config{Targets: targets, Open: open, Evaluate: eval, Pacer: noWait(), Parallel: 1, Evaluators: 1,
		Query: trail.Query{EventNames: []string{"CopyImage"}}}, nil, func(_ ct.Item, v verify.Verdict) { emitted = append(emitted, v.EventID) })
	if len(emitted) != 1 {
		t.Errorf("emitted %v; want only the verdict finished before the cancel", emitted)
	}
	if last := rep.Results[len(rep.Results)-1]; last.Outcome != Interrupted {
		t.Errorf("last target %s; want interrupted", last.Outcome)
	}
	if ps := rep.Problems(); len(ps) != 0 {
		t.Errorf("problems %v; want none for an interruption", ps)
	}
}

func TestProblems(t *testing.T) {
	unrecognized := &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRole"}
	res := func(account, region string, discovered bool, o Outcome, err error) Result {
		return Result{Target: Target{account, region, discovered}, Outcome: o, Err: err}
	}
	tests := []struct {
		name    string
		results []Result
		want    []string // one substring per problem
	}{
		{"all done", []Result{res("111111111111", "eu-west-1", false, Done, nil)}, nil},
		{"a discovered Region not enabled", []Result{
			res("111111111111", "eu-west-1", true, Done, nil), res("111111111111", "af-south-1", true, NotEnabled, unrecognized)}, nil},
		{"a named Region not enabled", []Result{
			res("111111111111", "eu-west-1", false, Done, nil), res("111111111111", "af-south-1", false, NotEnabled, unrecognized)},
			[]string{"has account 111111111111 enabled af-south-1?"}},
		{"no Region of an account answers", []Result{
			res("111111111111", "eu-west-1", true, NotEnabled, unrecognized), res("111111111111", "af-south-1", true, NotEnabled, unrecognized)},
			[]string{"account 111111111111: no Region answered"}},
		{"one cause in many Regions is one problem", []Result{
			res("222222222222", "eu-west-1", true, Failed, denied), res("222222222222", "us-east-1", true, Failed, denied),
			res("222222222222", "ap-south-1", true, Failed, errors.New("boom"))},
			[]string{"account 222222222222: 2 Regions (eu-west-1, us-east-1) failed alike", "boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Report{Results: tt.results}.Problems()
			if len(ps) != len(tt.want) {
				t.Fatalf("problems %v; want %d", ps, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ps[i].Error(), w) {
					t.Errorf("problem %d %q lacks %q", i, ps[i], w)
				}
			}
		})
	}
}
