package verify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// class says how long an answer may be reused.
type class uint8

const (
	// perEvent answers are asked once per event and never reused across
	// events: the results of a call, an image still being copied.
	perEvent class = iota
	// immutable answers never change once they exist (an available image's
	// mappings and owner, a snapshot's encryption, key and owner): reused
	// across events for the cache's lifetime. "Not found" is never kept.
	immutable
	// setting answers may change at any time (encryption by default, the
	// default key, what a key reference resolves to): reused across events,
	// but refreshed before a finding is raised on a reused one.
	setting
)

// cacheable is implemented by answers that are sometimes not worth keeping
// across events (a key that does not exist yet, an image still pending).
type cacheable interface{ cacheable() bool }

// session does the lookups of one event for one account. Within an event
// nothing is asked twice; across events, the engine's cache answers what
// does not change or changes rarely.
type session struct {
	ctx     context.Context
	clients Clients
	cache   *cache
	sdk     *sdkClients
	kind    rules.Kind // the kind of the record being evaluated
	account string
	region  string // the Region of the call (awsRegion)
	when    time.Time
	check   Check
	now     func() time.Time
	calls   map[string]int
	memo    map[string]any
	// reused lists the setting answers this event took from the cache;
	// refreshing asks exactly those again.
	reused     map[string]bool
	refreshing bool
	warnings   []string
	// history and carried say what the settings were at the record's time
	// (settings_at.go).
	history *SettingsHistory
	carried *CarriedSettings
}

// remember answers from the event's memo, then from the engine's cache, and
// computes only on a miss of both. Errors are never kept.
func remember[T any](s *session, key string, c class, compute func() (T, error)) (T, error) {
	stale := s.refreshing && s.reused[key]
	if v, ok := s.memo[key]; ok && !stale {
		return v.(T), nil
	}
	if c != perEvent && !stale {
		if v, ok := s.cache.get(key); ok {
			if c == setting {
				s.reused[key] = true
			}
			s.memo[key] = v
			return v.(T), nil
		}
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	delete(s.reused, key)
	s.memo[key] = v
	if k, ok := any(v).(cacheable); c != perEvent && (!ok || k.cacheable()) {
		s.cache.put(key, v)
	}
	return v, nil
}

// known reports whether an answer is at hand without a call: in the event's
// memo or the engine's cache.
func (s *session) known(key string) bool {
	if _, ok := s.memo[key]; ok {
		return true
	}
	_, ok := s.cache.get(key)
	return ok
}

// warn adds a warning to the verdict, once.
func (s *session) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !slices.Contains(s.warnings, w) {
		s.warnings = append(s.warnings, w)
	}
}

// goneAfter is how long after the call a result that still cannot be found
// on a re-check is taken to be gone rather than not visible yet: EC2 lists a
// new image, snapshot or volume within seconds.
const goneAfter = 10 * time.Minute

// gone reports whether a result that is not found is gone for good: on a
// re-check, long enough after the call. A first look (and replay) sees only
// "not visible yet".
func (s *session) gone() bool {
	return s.check.Attempt > 0 && s.now().Sub(s.when) > goneAfter
}

// ec2 returns the EC2 client of the account in region, as an SDK client
// whose middleware counts its calls (sdk.go).
func (s *session) ec2(region string) (EC2API, error) {
	c, err := s.clients.EC2(s.ctx, s.account, region)
	if err != nil {
		return nil, fmt.Errorf("ec2 client for %s in %s: %w", s.account, region, err)
	}
	return s.sdkEC2(c, region), nil
}
