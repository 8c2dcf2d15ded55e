package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/audit"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/trail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// verdictLines reads replay's or audit's JSON output, by event ID.
func verdictLines(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v verify.Verdict
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not a verdict: %s", l)
		}
		if _, dup := got[v.EventID]; dup {
			t.Errorf("event %s evaluated twice", v.EventID)
		}
		got[v.EventID] = l
	}
	return got
}

func status(t *testing.T, line string) string {
	t.Helper()
	var v verify.Verdict
	json.Unmarshal([]byte(line), &v)
	return v.Status
}

// seesAll reports whether a verdict found every result of its call: a
// replay reads one it did not as not visible yet, an audit as gone.
func seesAll(t *testing.T, line string) bool {
	t.Helper()
	var v verify.Verdict
	json.Unmarshal([]byte(line), &v)
	for _, r := range v.Resources {
		if r.Resource == "" {
			return false
		}
	}
	return v.Status != verify.StatusPending
}

// An audit of two accounts × two Regions through localaws and the real SDK
// clients (CloudTrail LookupEvents, STS AssumeRole of the reader role, EC2,
// KMS) gives every sample's verdict: each violation exactly as replay of the
// sample gives it (want.json), and every other verdict too, but for the
// samples with a result not visible: replay reads it as not visible yet, an
// audit, long after the call, as gone. Those are only required to come out.
func TestAuditThroughLocalAWS(t *testing.T) {
	w, placed := auditWorld(t, false)
	// CloudTrail's rate limit, enforced: the audit keeps within it, or
	// backs off and calls again.
	s := startLocal(t, w, func(s *localaws.Server) { s.LookupEventsPerSecond = trail.PerSecond })
	code, stdout, stderr := cli(t, "audit", "--since", "2026-01-01", "--accounts", "222222222222,333333333333", "--regions", "us-east-1,eu-west-1", "--format", "json")
	if code != 1 {
		t.Errorf("exit %d; want 1, for the samples whose verdict is error (stderr %s)", code, stderr)
	}
	got := verdictLines(t, stdout)
	if len(got) != len(placed) {
		t.Errorf("%d verdicts for %d samples", len(got), len(placed))
	}
	violations := map[slot]int{}
	for _, p := range placed {
		line, ok := got[p.eventID]
		switch {
		case !ok:
			t.Errorf("%s (%v): no verdict", p.name, p.slot)
		case status(t, p.want) == verify.StatusViolation:
			violations[p.slot]++
			if line != p.want {
				t.Errorf("%s (%v):\n%s\nwant\n%s", p.name, p.slot, line, p.want)
			}
		case seesAll(t, p.want) && line != p.want:
			t.Errorf("%s (%v):\n%s\nwant\n%s", p.name, p.slot, line, p.want)
		}
	}
	for _, s := range slots {
		if violations[s] == 0 {
			t.Errorf("no violation sample in %v: %v", s, violations)
		}
	}
	counts := s.Counts()
	// Two accounts × two Regions × the registry's event names, and again
	// the settings changes (read first, for the settings as they were),
	// one page each (more if a call was throttled); the reader role assumed
	// once per member account.
	lookups := 2 * 2 * (len(rules.EventNames()) + len(rules.SettingChanges()))
	if counts["LookupEvents"] < lookups || counts["AssumeRole"] != 2 {
		t.Errorf("LookupEvents %d, AssumeRole %d; want %d and 2", counts["LookupEvents"], counts["AssumeRole"], lookups)
	}
	if n := counts["LookupEvents"] - lookups; n > 0 {
		t.Logf("%d LookupEvents calls throttled and made again", n)
	}
}

// The command: the organization's accounts (ListAccounts, the
// suspended one left out), every Region the partition has, events of the
// last 90 days; a summary per account.
func TestAuditAllAccountsAllRegions(t *testing.T) {
	w, placed := auditWorld(t, true)
	startLocal(t, w)
	code, stdout, stderr := cli(t, "audit", "--since", "90d", "--accounts", "all", "--regions", "all", "--format", "text")
	if code != 1 {
		t.Errorf("exit %d; want 1 (error verdicts among the samples); stderr %s", code, stderr)
	}
	var want []string
	for _, p := range placed {
		if status(t, p.want) == verify.StatusViolation {
			want = append(want, p.eventID)
		}
	}
	var found []string
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 5 && f[0] == verify.StatusViolation {
			found = append(found, f[5])
		}
	}
	slices.Sort(want)
	slices.Sort(found)
	if !slices.Equal(found, want) {
		t.Errorf("violations\n%v\nwant\n%v", found, want)
	}
	for _, line := range []string{
		// One LookupEvents call per account, Region and event name of the registry
		// (LookupEvents takes one; the settings kind has four).
		fmt.Sprintf("3 accounts, 6 Regions read; %d LookupEvents calls", 6*len(rules.EventNames())),
		"  444444444444  2 Regions read: 0 records",
		"  222222222222  2 Regions read: ",
		"  333333333333  2 Regions read: ",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("summary lacks %q:\n%s", line, stdout)
		}
	}
	if strings.Contains(stdout, "555555555555") {
		t.Error("the suspended account was audited")
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"90d", now.Add(-90 * 24 * time.Hour), false},
		{"0d", now, false},
		{"36h", now.Add(-36 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"2026-09-01", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-09-01T10:00:00+02:00", time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), false},
		{"yesterday", time.Time{}, true},
		{"-5h", time.Time{}, true},
		{"9d9", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTime(tt.in, now)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("parseTime(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseAudit(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		args    []string
		check   func(auditOptions) bool
		wantErr string
	}{
		{"defaults", nil, func(o auditOptions) bool {
			return o.start.Equal(now.Add(-90*24*time.Hour)) && o.end.Equal(now) && o.accountIDs == nil && !o.allAccounts && o.regionNames == nil && !o.allRegions && o.format == "json"
		}, ""},
		{"all", []string{"--accounts", "all", "--regions", "all"}, func(o auditOptions) bool { return o.allAccounts && o.allRegions }, ""},
		{"lists", []string{"--accounts", "222222222222, 333333333333,222222222222", "--regions", "eu-west-1,us-east-1"}, func(o auditOptions) bool {
			return slices.Equal(o.accountIDs, []string{"222222222222", "333333333333"}) && slices.Equal(o.regionNames, []string{"eu-west-1", "us-east-1"})
		}, ""},
		{"window", []string{"--since", "2026-09-01", "--until", "1d"}, func(o auditOptions) bool {
			return o.start.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) && o.end.Equal(now.Add(-24*time.Hour))
		}, ""},
		{"empty window", []string{"--since", "1d", "--until", "2d"}, nil, "is not before"},
		{"bad account", []string{"--accounts", "2222"}, nil, "not a 12-digit account ID"},
		{"bad Region", []string{"--regions", "Europe"}, nil, "not a Region name"},
		{"bad format", []string{"--format", "csv"}, nil, "--format"},
		{"a path", []string{"trail/"}, nil, "replay reads files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseAudit(tt.args, now, false)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v; want %q", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}

func TestAuditLine(t *testing.T) {
	var ap audit.Progress
	ap.Accounts.Store(12)
	ap.AccountsDone.Store(3)
	ap.Targets.Store(204)
	ap.TargetsDone.Store(61)
	ap.Events.Store(12345)
	ap.Evaluated.Store(12000)
	ap.Violations.Store(7)
	got := auditLine(&ap, trail.NewPacer())(83 * time.Second)
	if want := "accounts 3/12  Regions 61/204  events 12,345  evaluated 12,000  violations 7  83s"; got != want {
		t.Errorf("line %q; want %q", got, want)
	}
}

// A member account may not list the organization: the error says how to
// name the accounts instead.
func TestAuditAccountsNotListed(t *testing.T) {
	w, _ := auditWorld(t, false)
	startLocal(t, w)
	t.Setenv("AWS_ACCESS_KEY_ID", localaws.AccessKeyFor("222222222222"))
	code, _, stderr := cli(t, "audit", "--accounts", "all")
	if code != 1 || !strings.Contains(stderr, "--accounts 111111111111,222222222222") || !strings.Contains(stderr, "management account or a delegated administrator") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{{"audit", "--bogus"}, {"audit", "--since", "soon"}, {"audit", "trail/"}} {
		if code, _, stderr := cli(t, args...); code != 2 || !strings.Contains(stderr, "usage: ebsguard audit") {
			t.Errorf("%v: exit %d, stderr %s", args, code, stderr)
		}
	}
}
