package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Opener gives the CloudTrail client that reads an account's event history
// in a Region: the caller's own credentials, or the reader role's.
type Opener func(ctx context.Context, account, region string) (trail.API, error)

// Evaluator judges one record. The audit uses the engine's re-check, since
// the calls are long past: a result not found now is gone, not "not visible
// yet".
type Evaluator func(ctx context.Context, it ct.Item) verify.Verdict

// Defaults of Config.
const (
	// DefaultParallel targets are read at once. Each account and Region has
	// its own rate limit, so reading several at once is what makes an audit
	// of an organization fast; the bound keeps the connections and the
	// memory of a large organization in check.
	DefaultParallel = 8
	// DefaultEvaluators records are evaluated at once, over all targets:
	// each evaluation makes a few EC2 and KMS calls and mostly waits.
	DefaultEvaluators = 16
)

// Config configures a Run.
type Config struct {
	Targets  []Target
	Open     Opener
	Query    trail.Query
	Evaluate Evaluator
	// Pacer paces LookupEvents per account and Region (nil: a new one).
	Pacer      *trail.Pacer
	Parallel   int
	Evaluators int
}

// Outcome is how the reading of one target ended.
type Outcome string

// Outcomes.
const (
	// Done: every event of the window was read and evaluated.
	Done Outcome = "done"
	// NotEnabled: the account has not enabled the Region (AWS does not
	// recognise the credentials there).
	NotEnabled Outcome = "not-enabled"
	// Failed: the event history could not be read (Err says why).
	Failed Outcome = "failed"
	// Interrupted: the run was cancelled before the target was done.
	Interrupted Outcome = "interrupted"
)

// Result is what became of one target.
type Result struct {
	Target
	Outcome Outcome
	Err     error
	Calls   int // LookupEvents pages
	Events  int // events read
}

// Progress counts as the run goes; safe to read at any time.
type Progress struct {
	Accounts, AccountsDone atomic.Int64
	Targets, TargetsDone   atomic.Int64
	Events                 atomic.Int64 // read from event history
	Evaluated              atomic.Int64 // verdicts emitted
	Violations             atomic.Int64
}

// Report is what a Run did, one Result per target in the order of
// Config.Targets.
type Report struct {
	Results []Result
}

// Run reads the event history of every target, at most Parallel at once, and
// evaluates each record, at most Evaluators at once, calling emit with each
// record and its verdict (never concurrently). It returns when every target is done or ctx
// is cancelled; then the verdicts of evaluations cut short are not emitted,
// and the targets not done are Interrupted.
func Run(ctx context.Context, cfg Config, prog *Progress, emit func(ct.Item, verify.Verdict)) Report {
	if prog == nil {
		prog = &Progress{}
	}
	pacer := cfg.Pacer
	if pacer == nil {
		pacer = trail.NewPacer()
	}
	parallel, evaluators := cfg.Parallel, cfg.Evaluators
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	if evaluators <= 0 {
		evaluators = DefaultEvaluators
	}

	rep := Report{Results: make([]Result, len(cfg.Targets))}
	left := map[string]int{} // targets not done, per account
	for i, t := range cfg.Targets {
		rep.Results[i] = Result{Target: t, Outcome: Interrupted}
		if left[t.Account] == 0 {
			prog.Accounts.Add(1)
		}
		left[t.Account]++
	}
	prog.Targets.Add(int64(len(cfg.Targets)))
	var leftMu sync.Mutex
	targetDone := func(account string) {
		prog.TargetsDone.Add(1)
		leftMu.Lock()
		defer leftMu.Unlock()
		if left[account]--; left[account] == 0 {
			prog.AccountsDone.Add(1)
		}
	}

	items := make(chan ct.Item, 4*evaluators)
	var emitMu sync.Mutex
	var evaluating sync.WaitGroup
	for range evaluators {
		evaluating.Go(func() {
			for it := range items {
				if ctx.Err() != nil {
					continue // drain: the readers are stopping
				}
				v := cfg.Evaluate(ctx, it)
				if ctx.Err() != nil {
					continue // cut short: its verdict would be an error about the interruption
				}
				prog.Evaluated.Add(1)
				if v.Status == verify.StatusViolation {
					prog.Violations.Add(1)
				}
				emitMu.Lock()
				emit(it, v)
				emitMu.Unlock()
			}
		})
	}

	next := make(chan int)
	var reading sync.WaitGroup
	for range parallel {
		reading.Go(func() {
			for i := range next {
				r := &rep.Results[i]
				n, err := read(ctx, cfg, pacer, r.Target, items, prog)
				r.Calls, r.Events = n.Calls, n.Events
				r.Outcome, r.Err = outcome(ctx, err), err
				if r.Outcome != Interrupted {
					targetDone(r.Account)
				}
			}
		})
	}
feed:
	for i := range cfg.Targets {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	reading.Wait()
	close(items)
	evaluating.Wait()
	return rep
}

// read reads one target's events into items.
func read(ctx context.Context, cfg Config, pacer *trail.Pacer, t Target, items chan<- ct.Item, prog *Progress) (trail.Counts, error) {
	if err := ctx.Err(); err != nil {
		return trail.Counts{}, err
	}
	api, err := cfg.Open(ctx, t.Account, t.Region)
	if err != nil {
		return trail.Counts{}, fmt.Errorf("event history of %s in %s: %w", t.Account, t.Region, err)
	}
	n, err := trail.Read(ctx, pacer.Client(api, t.Account, t.Region), cfg.Query, func(it ct.Item) error {
		prog.Events.Add(1)
		select {
		case items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		return n, fmt.Errorf("event history of %s in %s: %w", t.Account, t.Region, err)
	}
	return n, nil
}

func outcome(ctx context.Context, err error) Outcome {
	switch {
	case err == nil:
		return Done
	case ctx.Err() != nil:
		return Interrupted
	case IsNotEnabled(err):
		return NotEnabled
	}
	return Failed
}

// notEnabledCodes are what AWS answers a call in a Region the account has
// not enabled (opt-in Regions, launched since March 2019, are disabled until
// an account enables them): the Region does not recognise the account's
// credentials. JSON services such as CloudTrail say
// UnrecognizedClientException, Query services InvalidClientTokenId, EC2
// AuthFailure or OptInRequired. The same codes mean invalid credentials
// anywhere, which Report.Problems tells apart: an account where no Region
// answers.
var notEnabledCodes = []string{"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired"}

// IsNotEnabled reports whether err says the account cannot use the Region.
func IsNotEnabled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range notEnabledCodes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// Problems lists what the report leaves unchecked that the user must know
// about: targets that failed (those of one account failing alike as one
// problem, such as a missing reader role in every Region), named Regions the
// account has not enabled, and accounts in which no Region answered at all
// (invalid credentials look like Regions that are not enabled). Interrupted
// targets are not listed: the caller knows it cancelled.
func (r Report) Problems() []error {
	type account struct {
		answered   bool
		notEnabled error
		named      []error             // named Regions not enabled
		failed     map[string][]Result // by error code
		codes      []string
	}
	var order []string
	byAccount := map[string]*account{}
	for _, res := range r.Results {
		a := byAccount[res.Account]
		if a == nil {
			a = &account{failed: map[string][]Result{}}
			byAccount[res.Account] = a
			order = append(order, res.Account)
		}
		switch res.Outcome {
		case Done, Interrupted:
			a.answered = true
		case Failed:
			a.answered = true // with an error, listed below
			code := verify.ErrorCode(res.Err)
			if len(a.failed[code]) == 0 {
				a.codes = append(a.codes, code)
			}
			a.failed[code] = append(a.failed[code], res)
		case NotEnabled:
			a.notEnabled = res.Err
			if !res.Discovered {
				a.named = append(a.named, fmt.Errorf("%w (has account %s enabled %s?)", res.Err, res.Account, res.Region))
			}
		}
	}
	var out []error
	for _, id := range order {
		a := byAccount[id]
		if !a.answered && a.notEnabled != nil {
			out = append(out, fmt.Errorf("account %s: no Region answered; its credentials (or the reader role's) look invalid: %w", id, a.notEnabled))
			continue
		}
		out = append(out, a.named...)
		for _, code := range a.codes {
			rs := a.failed[code]
			if len(rs) == 1 {
				out = append(out, rs[0].Err)
				continue
			}
			regions := make([]string, len(rs))
			for i, res := range rs {
				regions[i] = res.Region
			}
			out = append(out, fmt.Errorf("account %s: %d Regions (%s) failed alike; the first: %w", id, len(rs), strings.Join(regions, ", "), rs[0].Err))
		}
	}
	return out
}

// Account sums one account's targets.
type Account struct {
	ID                                    string
	Done, NotEnabled, Failed, Interrupted int // Regions
	Events                                int
}

// Accounts sums the results per account, in the order of the targets.
func (r Report) Accounts() []Account {
	var out []Account
	idx := map[string]int{}
	for _, res := range r.Results {
		i, ok := idx[res.Account]
		if !ok {
			i = len(out)
			idx[res.Account] = i
			out = append(out, Account{ID: res.Account})
		}
		a := &out[i]
		a.Events += res.Events
		switch res.Outcome {
		case Done:
			a.Done++
		case NotEnabled:
			a.NotEnabled++
		case Failed:
			a.Failed++
		case Interrupted:
			a.Interrupted++
		}
	}
	return out
}
