// Package verify evaluates a CloudTrail record against the account's state:
// it rebuilds the request, looks up the source and the result through small
// EC2 and KMS interfaces, applies the rules and returns the verdict.
package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Engine evaluates records. It is safe for concurrent use.
type Engine struct {
	clients Clients
	policy  Policy
	cache   *cache
	sdk     *sdkClients
	now     func() time.Time
	history *SettingsHistory
}

// Config configures an Engine.
type Config struct {
	Clients Clients
	Policy  Policy
	// CacheTTL bounds how long what is reused across events (account
	// settings, key resolutions, images and snapshots) is kept; 0 disables
	// the cache.
	CacheTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Settings are the settings-change records known for the input (replay,
	// audit, backfill): records are judged against the settings of their
	// time (spec/rules.md, "Settings as they were at the event"). Nil means
	// none: today's settings.
	Settings *SettingsHistory
}

// New returns an engine.
func New(cfg Config) *Engine {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Engine{clients: cfg.Clients, policy: cfg.Policy, cache: newCache(cfg.CacheTTL, now), sdk: &sdkClients{}, now: now, history: cfg.Settings}
}

// Settings returns the settings history the engine judges against
// (Config.Settings): replay fills it while it reads its input, before it
// evaluates any record.
func (e *Engine) Settings() *SettingsHistory { return e.history }

// Check says which look at a record this is: the first (Attempt 0, as in
// replay), or a later re-check of results that were not visible yet.
type Check struct {
	Attempt int
	// Settings are EBD and DEF as the first look read them, carried in the
	// re-check messages: a later look judges against them, not today's.
	Settings *CarriedSettings
}

// skip ends an evaluation with status skipped.
type skip struct{ reason string }

func (s skip) Error() string { return s.reason }

// Limits on what a verdict repeats from a record, so that a hostile or
// broken record cannot make every log line or message too large to deliver.
const (
	maxPrincipal = 2048 // an IAM ARN is at most 2048 characters
	maxEventID   = 256
)

// Evaluate returns the verdict for one decoded item, as a first look. It
// never panics on input and never returns an empty status.
func (e *Engine) Evaluate(ctx context.Context, it cloudtrail.Item) Verdict {
	return e.Recheck(ctx, it, Check{})
}

// Recheck returns the verdict for one decoded item, looked at again: the
// evaluation starts from scratch; only what counts as gone differs.
func (e *Engine) Recheck(ctx context.Context, it cloudtrail.Item, c Check) Verdict {
	v := Verdict{Resources: []Resource{}, Findings: []Finding{}, Calls: map[string]int{}}
	if r := it.Record; r != nil {
		v.EventID, v.EventName, v.EventTime = cut(string(r.EventID), maxEventID), string(r.EventName), r.Time()
		v.Account, v.Region, v.Principal = r.Account(), string(r.AWSRegion), cut(r.Principal(), maxPrincipal)
	}
	if it.Err != nil {
		v.Status, v.Reason, v.ErrorClass = StatusError, it.Err.Error(), ClassMalformed
		return v
	}
	if it.Skip != "" {
		v.Status, v.Reason = StatusSkipped, it.Skip
		return v
	}
	err := e.evaluate(ctx, it, c, &v)
	var sk skip
	switch {
	case errors.As(err, &sk):
		v.Status, v.Reason = StatusSkipped, sk.reason
		v.Resources, v.Findings = []Resource{}, []Finding{}
	case err != nil:
		v.Status, v.Reason, v.ErrorClass = StatusError, err.Error(), ClassOf(err)
		v.Resources, v.Findings = []Resource{}, []Finding{}
		v.noteError(err)
	default:
		v.settle()
	}
	return v
}

// cut shortens s to at most n bytes, saying so.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…[cut]"
	return s[:n-len(mark)] + mark
}

func (e *Engine) evaluate(ctx context.Context, it cloudtrail.Item, c Check, v *Verdict) error {
	r := it.Record
	if r.ErrorCode != "" {
		return skip{"request-failed:" + string(r.ErrorCode)}
	}
	k, ok := rules.KindByEvent(string(r.EventName))
	if src := string(r.EventSource); src != "" && (ok && src != k.Source() || !ok && src != rules.EC2Source) {
		return skip{fmt.Sprintf("unsupported:event:%s:%s", src, r.EventName)}
	}
	change, isSetting := rules.SettingChangeByEvent(string(r.EventName))
	if !ok && !isSetting {
		return skip{"unsupported:event:" + string(r.EventName)}
	}
	impl, ok := kinds[k.Op]
	if !ok && !isSetting {
		return &Error{Class: ClassInternal, Err: fmt.Errorf("no engine for %s", k.EventName)} // TestEveryKindHasAnEngine prevents this
	}
	if !ValidAccount(v.Account) {
		return &Error{Class: ClassMalformed, Err: fmt.Errorf("invalid account ID %q in recipientAccountId", v.Account)}
	}
	if it.EnvelopeAccount != "" && it.EnvelopeAccount != v.Account {
		// The envelope says where the event came from; a record that names
		// another account must not make the function read (assume the reader
		// role in) an account of the record's choosing.
		return &Error{Class: ClassMalformed, Err: fmt.Errorf("invalid record: recipientAccountId %q differs from the account %q of the EventBridge event it arrived in; not evaluated, no role assumed", v.Account, it.EnvelopeAccount)}
	}
	if !ValidRegion(v.Region) {
		return &Error{Class: ClassMalformed, Err: fmt.Errorf("invalid Region %q in awsRegion", v.Region)}
	}
	when, ok := r.ParsedTime()
	switch {
	case r.EventTime == "":
		when = e.now() // a missing field is absent, not malformed
	case !ok:
		return &Error{Class: ClassMalformed, Err: fmt.Errorf("invalid eventTime %q: not a timestamp", v.EventTime)}
	}
	s := &session{ctx: withCounter(ctx, v.Calls), clients: e.clients, cache: e.cache, sdk: e.sdk, kind: k, account: v.Account, region: v.Region, when: when, check: c,
		now: e.now, calls: v.Calls, memo: map[string]any{}, reused: map[string]bool{}, history: e.history, carried: c.Settings}
	if isSetting {
		return e.judgeSetting(s, change, r, v) // kind_settings.go
	}
	if err := e.judgeAll(s, k, impl, r, v); err != nil {
		return err
	}
	if len(s.reused) > 0 && slices.ContainsFunc(v.Findings, dependsOnKeys) {
		// Never raise a finding on reused state: the account's default key or
		// a key alias may have changed since it was cached. Ask exactly those
		// again and judge once more; this costs calls only on such a finding.
		s.refreshing = true
		v.Resources, v.Findings, v.ErrorCodes, s.warnings = []Resource{}, []Finding{}, nil, nil
		if err := e.judgeAll(s, k, impl, r, v); err != nil {
			return err
		}
	}
	v.Warnings = s.warnings
	v.RetrySoon = impl.quick()
	v.Settings = s.readSettings()
	return nil
}

// RejectedWithoutErrorCode ends the reason of a result whose row says EC2
// rejects the call (a kmsKeyId without encrypted=true), in a record that
// shows the call succeeded: the record and the documentation disagree.
const RejectedWithoutErrorCode = "EC2 rejects this request, yet CloudTrail records no errorCode"

// dependsOnKeys reports whether a finding rests on the account's settings or
// key resolutions (UNENCRYPTED rests only on the result and the policy).
func dependsOnKeys(f Finding) bool { return f.Code != rules.UnencryptedCode }

// judgeAll finds the record's results and judges each. A result that cannot
// be judged keeps its error; the others keep their findings.
func (e *Engine) judgeAll(s *session, k rules.Kind, impl kind, r *cloudtrail.Record, v *Verdict) error {
	targets, err := impl.targets(s, r)
	if err != nil {
		if e := (*Error)(nil); !errors.As(err, &e) && ClassOf(err) == ClassInternal {
			// Neither AWS nor the engine classed it: a kind fails this way
			// only on what it reads from the record.
			return &Error{Class: ClassMalformed, Err: err}
		}
		return err
	}
	for _, t := range targets {
		t.kind, t.impl = k, impl
		markHidden(&t)
		res, findings, err := e.judge(s, t)
		if err != nil {
			res.Error, res.ErrorClass, res.Findings = err.Error(), ClassOf(err), []string{}
			v.noteError(err)
		}
		v.Resources = append(v.Resources, res)
		v.Findings = append(v.Findings, findings...)
	}
	return nil
}

// target is one resulting volume or snapshot, ready to be judged.
type target struct {
	kind       rules.Kind
	impl       kind
	region     string // where the resource is created
	resource   string // "" while not visible
	parent     string
	device     string
	src        source
	in         rules.Input
	requestKey string
	actual     *rules.State
	// err is why the result could not be read; the target is not judged.
	err error
	// image is the AMI the result comes from: launched, or copied.
	image string
	// zone names the Availability Zone of a new volume as a CLI option
	// (CreateVolume).
	zone string
	// from says where the result comes from, for messages (", launched from ami-…").
	from string
	// containers are the disk containers of a VM Import request, for its fix.
	containers []diskContainer
	// note is what the reader must know about the judgement (formats.md §4).
	note string
	// policyOnly judges the result against the policy only, under rule, with
	// no prediction at all: a root replacement whose original root is
	// unknown (policy_only.go). A hidden request key is not this: it keeps
	// its row and predicts an unknown key (hidden.go).
	policyOnly bool
	rule       string
	// origKey is a root replacement's original root volume key reference.
	origKey string
}

// see records the result as found: its ID and encryption state. A key that
// cannot be resolved leaves this result unjudged, with the reason.
func (t *target) see(s *session, id string, encrypted *bool, keyID *string) {
	t.resource = id
	state, err := s.actual(t.region, encrypted, keyID)
	if err != nil {
		t.err = fmt.Errorf("key of %s %s: %w", s.kind.Creates, id, err)
	}
	t.actual = &state
}

func (e *Engine) judge(s *session, t target) (Resource, []Finding, error) {
	res := Resource{Resource: t.resource, Parent: t.parent, Device: t.device, Source: t.src.SnapshotID, Actual: t.actual, Findings: []string{},
		Note: t.note, SourceAssociatedKeyARNs: t.src.Associated}
	if t.err != nil {
		res.Actual = nil
		return res, nil, t.err
	}
	if t.policyOnly {
		return e.judgePolicyOnly(s, t, res) // policy_only.go
	}
	ks, err := s.keys(t)
	if err != nil {
		return res, nil, err
	}
	p, err := rules.Predict(t.in, ks.Keys)
	res.Rule, res.IntendedKeyARN = p.RuleID, p.IntendedKeyARN
	var unknown *rules.UnknownKeyError
	switch {
	case errors.Is(err, rules.ErrRequestRejected):
		return res, nil, &Error{Class: ClassInconsistentRecord, Err: fmt.Errorf("rule %s says %s", p.RuleID, RejectedWithoutErrorCode)}
	case errors.As(err, &unknown):
		why := ks.why[unknown.Key]
		if why == nil {
			why = ErrNotFound
		}
		return res, nil, &Error{Class: keyClass(why), Err: fmt.Errorf("rule %s predicts %s, which cannot be resolved: %w", p.RuleID, unknown.Key, why)}
	case err != nil:
		return res, nil, err
	}
	res.Expected = &Expected{Encrypted: p.Expected.Encrypted, KMSKeyARN: p.Expected.KMSKeyARN, Alternatives: p.Alternatives}
	p, widened, anyKey := s.widen(t, p, ks, &res) // settings_at.go
	if t.actual == nil {
		return res, nil, nil
	}
	pol, err := s.policy(e.policy, t.region, *t.actual)
	if err != nil {
		return res, nil, err
	}
	var out []Finding
	judged := rules.Judge(p, *t.actual, ks.Keys, pol)
	if widened {
		judged = s.rejudge(t, p, anyKey, *t.actual, ks, judged)
	}
	for _, f := range judged {
		res.Findings = append(res.Findings, f.Code)
		msg, fix := message(f.Code, t, res, ks.Keys, pol, s.account)
		out = append(out, Finding{Code: f.Code, Severity: f.Severity, Resource: t.resource, Message: msg, Fix: fix})
	}
	return res, out, nil
}
