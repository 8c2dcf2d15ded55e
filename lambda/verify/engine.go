// Package verify evaluates a CloudTrail record against the account's state:
// it rebuilds the request, looks up the source and the result through small
// EC2 and KMS interfaces, applies the rules and returns the verdict.
package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Engine evaluates records. It is safe for concurrent use.
type Engine struct {
	clients Clients
	policy  Policy
	cache   *cache
}

// Config configures an Engine.
type Config struct {
	Clients Clients
	Policy  Policy
	// CacheTTL bounds how long encryption-by-default, default keys and key
	// resolutions are reused across events; 0 disables the cache.
	CacheTTL time.Duration
	// Now is the clock of the cache (time.Now when nil).
	Now func() time.Time
}

// New returns an engine.
func New(cfg Config) *Engine {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Engine{clients: cfg.Clients, policy: cfg.Policy, cache: newCache(cfg.CacheTTL, now)}
}

// skip ends an evaluation with status skipped.
type skip struct{ reason string }

func (s skip) Error() string { return s.reason }

// Evaluate returns the verdict for one decoded item. It never panics on
// input and never returns an empty status.
func (e *Engine) Evaluate(ctx context.Context, it cloudtrail.Item) Verdict {
	v := Verdict{Resources: []Resource{}, Findings: []Finding{}, Calls: map[string]int{}}
	if r := it.Record; r != nil {
		v.EventID, v.EventName, v.EventTime = string(r.EventID), string(r.EventName), r.Time()
		v.Account, v.Region, v.Principal = r.Account(), string(r.AWSRegion), r.Principal()
	}
	if it.Err != nil {
		v.Status, v.Reason = StatusError, it.Err.Error()
		return v
	}
	if it.Skip != "" {
		v.Status, v.Reason = StatusSkipped, it.Skip
		return v
	}
	err := e.evaluate(ctx, it.Record, &v)
	var sk skip
	switch {
	case errors.As(err, &sk):
		v.Status, v.Reason = StatusSkipped, sk.reason
		v.Resources, v.Findings = []Resource{}, []Finding{}
	case err != nil:
		v.Status, v.Reason, v.Retryable = StatusError, err.Error(), IsTransient(err)
		v.Resources, v.Findings = []Resource{}, []Finding{}
	default:
		v.settle()
	}
	return v
}

func (e *Engine) evaluate(ctx context.Context, r *cloudtrail.Record, v *Verdict) error {
	if r.ErrorCode != "" {
		return skip{"request-failed:" + string(r.ErrorCode)}
	}
	if src := r.EventSource; src != "" && src != "ec2.amazonaws.com" {
		return skip{fmt.Sprintf("unsupported:event:%s:%s", src, r.EventName)}
	}
	if r.EventName != "CopyImage" && r.EventName != "RunInstances" {
		return skip{"unsupported:event:" + string(r.EventName)}
	}
	if !ValidAccount(v.Account) {
		return fmt.Errorf("invalid account ID %q in recipientAccountId", v.Account)
	}
	if !ValidRegion(v.Region) {
		return fmt.Errorf("invalid Region %q in awsRegion", v.Region)
	}
	s := &session{ctx: ctx, clients: e.clients, cache: e.cache, account: v.Account, calls: v.Calls, memo: map[string]any{}}
	var targets []target
	var err error
	if r.EventName == "CopyImage" {
		targets, err = s.copyImage(r, v.Region)
	} else {
		targets, err = s.runInstances(r, v.Region)
	}
	if err != nil {
		return err
	}
	for _, t := range targets {
		res, findings, err := e.judge(s, t)
		if err != nil {
			return err
		}
		v.Resources = append(v.Resources, res)
		v.Findings = append(v.Findings, findings...)
	}
	return nil
}

// target is one resulting volume or snapshot, ready to be judged.
type target struct {
	region      string // where the resource is created
	resource    string // "" while not visible
	parent      string
	device      string
	src         source
	in          rules.Input
	requestKey  string
	actual      *rules.State
	sourceImage string // CopyImage: the source AMI, for the fix command
}

func (e *Engine) judge(s *session, t target) (Resource, []Finding, error) {
	res := Resource{Resource: t.resource, Parent: t.parent, Device: t.device, Source: t.src.SnapshotID, Actual: t.actual, Findings: []string{}}
	// Only an owned cross-Region copy can intend SRC's multi-Region replica.
	ownedCrossRegion := t.in.Op == rules.CopyImage && !t.in.SameRegion && t.in.Owned
	ks, err := s.keys(t.region, t.src, t.requestKey, ownedCrossRegion)
	if err != nil {
		return res, nil, err
	}
	p, err := rules.Predict(t.in, ks.Keys)
	res.Rule, res.IntendedKeyARN = p.RuleID, p.IntendedKeyARN
	var unknown *rules.UnknownKeyError
	switch {
	case errors.Is(err, rules.ErrRequestRejected):
		return res, nil, fmt.Errorf("%s %s: rule %s says EC2 rejects this request, yet CloudTrail records no errorCode", kind(t.in.Op), t.device, p.RuleID)
	case errors.As(err, &unknown):
		why := ks.why[unknown.Key]
		if why == nil {
			why = ErrNotFound
		}
		return res, nil, fmt.Errorf("%s %s: rule %s predicts %s, which cannot be resolved: %w", kind(t.in.Op), t.device, p.RuleID, unknown.Key, why)
	case err != nil:
		return res, nil, err
	}
	res.Expected = &Expected{Encrypted: p.Expected.Encrypted, KMSKeyARN: p.Expected.KMSKeyARN, Alternatives: p.Alternatives}
	if t.actual == nil {
		return res, nil, nil
	}
	pol := rules.Policy{RequireEncryption: e.policy.requireEncryption()}
	if t.actual.Encrypted && len(e.policy.applicable(s.account, t.region)) > 0 {
		if pol.AllowedKeys, err = s.allowedKeys(e.policy, t.region); err != nil {
			return res, nil, err
		}
	}
	var out []Finding
	for _, f := range rules.Judge(p, *t.actual, ks.Keys, pol) {
		res.Findings = append(res.Findings, f.Code)
		out = append(out, Finding{Code: f.Code, Severity: f.Severity, Resource: t.resource,
			Message: message(f.Code, t, res, ks.Keys, pol, s.account)})
	}
	return res, out, nil
}

// kind names what an operation creates.
func kind(op rules.Op) string {
	if op == rules.CopyImage {
		return "snapshot"
	}
	return "volume"
}
