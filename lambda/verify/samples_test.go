package verify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The samples' want.json files are written by the code under test
// (`make update-golden`), so on their own they only prove that the engine
// still says what it said. Each sample folder also holds an expect.json
// written by hand from spec/rules.md and spec/formats.md and the sample's own
// event, world and policy: the oracle checked here, independently of want.json.

// samplesRoot is the folder of the sample scenarios, one folder each.
const samplesRoot = "../../events/samples"

// expectation is a sample's expect.json: what the spec says its verdict is.
// Statuses, rule IDs and finding codes are those of the spec; key fields hold
// key ARNs, "" for an unencrypted state.
type expectation struct {
	Status string `json:"status"`
	// Reason is a substring of the verdict's reason; required for the
	// statuses that must say why (skipped, error).
	Reason string `json:"reason,omitempty"`
	// Warnings is how many warnings the verdict carries (absent: none).
	Warnings  int                   `json:"warnings,omitempty"`
	Resources []resourceExpectation `json:"resources"`
}

// resourceExpectation is one resulting volume or snapshot, keyed like the
// verdict's resources by parent and device (formats.md §4). A resource that
// could not be judged gives Error (a substring of its error) and may leave
// out what the spec does not fix for it; every other resource gives every
// field.
type resourceExpectation struct {
	Parent      string  `json:"parent"`
	Device      string  `json:"device"`
	Resource    *string `json:"resource,omitempty"` // "" while not visible
	Source      *string `json:"source,omitempty"`   // "" for an empty volume
	Rule        string  `json:"rule,omitempty"`
	ExpectedKey *string `json:"expectedKey,omitempty"`
	// SourceAssociatedKeys are the resource's sourceAssociatedKeyArns;
	// checked when given.
	SourceAssociatedKeys *[]string `json:"sourceAssociatedKeys,omitempty"`
	// Alternatives, when given, are the key ARNs of the states accepted
	// without KEY_MISMATCH besides the prediction (rules.md, "Where AWS's
	// documentation disagrees"); [] says there are none.
	Alternatives *[]string `json:"alternatives,omitempty"`
	ActualKey    actualKey `json:"actualKey"`
	IntendedKey  *string   `json:"intendedKey,omitempty"`
	// Findings are "CODE:severity", e.g. "DEFAULT_KEY_FALLBACK:high".
	Findings []string `json:"findings"`
	Error    string   `json:"error,omitempty"`
	// ExpectedNull says `expected` is null (a settings change, formats.md
	// §4); expectedKey is then left out.
	ExpectedNull bool `json:"expectedNull,omitempty"`
	// ExpectedEncryptedNull says `expected.encrypted` is null: the rows
	// accepted for an unknown EBD disagree on it.
	ExpectedEncryptedNull bool `json:"expectedEncryptedNull,omitempty"`
	// ExpectedEncrypted, when given, is expected.encrypted where it does not
	// follow from expectedKey: true with expectedKey "" is an encrypted
	// result whose key is unknown (a key hidden by CloudTrail, DEF unknown).
	ExpectedEncrypted *bool `json:"expectedEncrypted,omitempty"`
	// ActualEncrypted, when given, is actual.encrypted where it does not
	// follow from actualKey (a settings change: EBD off with a DEF).
	ActualEncrypted *bool `json:"actualEncrypted,omitempty"`
	// Note, when given, is a substring of the resource's note (formats.md
	// §4), "" for none: a judgement may carry two notes.
	Note *string `json:"note,omitempty"`
}

// actualKey is the actual key: an ARN, "" for unencrypted, or null when the
// result is not visible yet. It tells an absent field from null.
type actualKey struct {
	set, visible bool
	arn          string
}

func (k *actualKey) UnmarshalJSON(b []byte) error {
	k.set = true
	if string(b) == "null" {
		return nil
	}
	k.visible = true
	return json.Unmarshal(b, &k.arn)
}

func (k actualKey) String() string {
	if !k.visible {
		return "null"
	}
	return fmt.Sprintf("%q", k.arn)
}

// readExpectation reads an expect.json; unknown fields are typos, not
// expectations quietly ignored.
func readExpectation(path string) (expectation, error) {
	var e expectation
	b, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// sampleDirs lists every sample folder (each has an event.json).
func sampleDirs(t *testing.T) []string {
	t.Helper()
	events, err := filepath.Glob(filepath.Join(samplesRoot, "*", "event.json"))
	if err != nil || len(events) == 0 {
		t.Fatalf("no samples under %s: %v", samplesRoot, err)
	}
	dirs := make([]string, len(events))
	for i, ev := range events {
		dirs[i] = filepath.Dir(ev)
	}
	return dirs
}

// evaluateSample evaluates a sample's one record with the engine, against the
// world and the policy of its folder, as replay and the Lambda do.
func evaluateSample(t *testing.T, dir string) verify.Verdict {
	t.Helper()
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pol verify.Policy
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		if pol, err = verify.LoadPolicy(filepath.Join(dir, "policy.json")); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	items := cloudtrail.DecodeAll(b)
	if len(items) == 0 {
		t.Fatalf("event.json holds no record")
	}
	// A sample of several records (settings changes and the record judged
	// after them) expects the verdict of its last record; the others are
	// input, as replay reads them (spec/rules.md, "Settings as they were").
	history := verify.NewSettingsHistory()
	for _, it := range items {
		history.AddRecord(it.Record)
	}
	return verify.New(verify.Config{Clients: w, Policy: pol, Settings: history}).Evaluate(t.Context(), items[len(items)-1])
}

// TestSamplesAgainstExpectations checks every sample's verdict against its
// hand-written expect.json, field by field.
func TestSamplesAgainstExpectations(t *testing.T) {
	for _, dir := range sampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			e, err := readExpectation(filepath.Join(dir, "expect.json"))
			if err != nil {
				t.Fatalf("every sample needs a hand-written expect.json: %v", err)
			}
			if reason, ok := engineDisagrees[filepath.Base(dir)]; ok {
				t.Skip("engine disagrees: " + reason)
			}
			v := evaluateSample(t, dir)
			for _, p := range checkVerdict(v, e) {
				t.Error(p)
			}
			if t.Failed() {
				b, _ := v.JSON()
				t.Logf("verdict: %s", b)
			}
		})
	}
}

// engineDisagrees lists the samples whose spec-derived expectation the
// engine does not meet, with why the expectation stands. Each entry is in the
// report to the lead; an empty map is the goal.
var engineDisagrees = map[string]string{}

// checkVerdict returns every difference between a verdict and an
// expectation; none when the verdict meets it.
func checkVerdict(v verify.Verdict, e expectation) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if v.Status != e.Status {
		bad("status %q (reason %q); want %q", v.Status, v.Reason, e.Status)
	}
	switch {
	case e.Reason != "" && !strings.Contains(v.Reason, e.Reason):
		bad("reason %q; want it to contain %q", v.Reason, e.Reason)
	case e.Reason == "" && (e.Status == verify.StatusSkipped || e.Status == verify.StatusError):
		bad("expect.json gives no reason for status %s, which must say why", e.Status)
	}
	if len(v.Warnings) != e.Warnings {
		bad("%d warnings %q; want %d", len(v.Warnings), v.Warnings, e.Warnings)
	}
	if len(v.Resources) != len(e.Resources) {
		bad("%d resources; want %d", len(v.Resources), len(e.Resources))
	}
	got := map[string]verify.Resource{}
	for _, r := range v.Resources {
		id := r.Parent + " " + r.Device
		if _, dup := got[id]; dup {
			bad("two resources keyed %q", id)
		}
		got[id] = r
	}
	wantFindings := 0
	seen := map[string]bool{}
	for _, want := range e.Resources {
		id := want.Parent + " " + want.Device
		if seen[id] {
			bad("expect.json lists %q twice", id)
		}
		seen[id] = true
		r, ok := got[id]
		if !ok {
			bad("no resource with parent %q and device %q", want.Parent, want.Device)
			continue
		}
		wantFindings += len(want.Findings)
		for _, p := range checkResource(v, r, want) {
			bad("%s: %s", id, p)
		}
	}
	if len(v.Findings) != wantFindings {
		bad("%d findings in the verdict; want %d", len(v.Findings), wantFindings)
	}
	return out
}

// checkResource compares one resource with its expectation.
func checkResource(v verify.Verdict, r verify.Resource, want resourceExpectation) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	judged := want.Error == ""
	if judged && (want.Resource == nil || want.Source == nil || want.Rule == "" || (want.ExpectedKey == nil) != want.ExpectedNull ||
		!want.ActualKey.set || want.IntendedKey == nil || want.Findings == nil) {
		// A judged resource states every field, or the oracle says too little.
		bad("expect.json leaves out resource, source, rule, expectedKey, actualKey, intendedKey or findings")
	}
	if !judged && !strings.Contains(r.Error, want.Error) {
		bad("error %q; want it to contain %q", r.Error, want.Error)
	}
	if judged && r.Error != "" {
		bad("error %q; want the resource judged", r.Error)
	}
	if want.Resource != nil && r.Resource != *want.Resource {
		bad("resource %q; want %q", r.Resource, *want.Resource)
	}
	if want.Source != nil && r.Source != *want.Source {
		bad("source %q; want %q", r.Source, *want.Source)
	}
	if want.Rule != "" && r.Rule != want.Rule {
		bad("rule %q; want %q", r.Rule, want.Rule)
	}
	if want.ExpectedKey != nil {
		wantState := stateOf(*want.ExpectedKey)
		if want.ExpectedEncrypted != nil {
			wantState.Encrypted = *want.ExpectedEncrypted
		}
		switch {
		case r.Expected == nil:
			bad("no expected state; want %s", describe(wantState))
		case r.Expected.EncryptedUnknown != want.ExpectedEncryptedNull:
			bad("expected.encrypted null is %v; want %v", r.Expected.EncryptedUnknown, want.ExpectedEncryptedNull)
		case want.ExpectedEncryptedNull && r.Expected.KMSKeyARN != wantState.KMSKeyARN:
			bad("expected key %q; want %q", r.Expected.KMSKeyARN, wantState.KMSKeyARN)
		case !want.ExpectedEncryptedNull && (r.Expected.Encrypted != wantState.Encrypted || r.Expected.KMSKeyARN != wantState.KMSKeyARN):
			bad("expected %s; want %s", describe(rules.State{Encrypted: r.Expected.Encrypted, KMSKeyARN: r.Expected.KMSKeyARN}), describe(wantState))
		}
	}
	if want.ExpectedNull && r.Expected != nil {
		bad("expected %+v; want null", *r.Expected)
	}
	if want.Note != nil && (*want.Note == "") != (r.Note == "") || want.Note != nil && !strings.Contains(r.Note, *want.Note) {
		bad("note %q; want %q", r.Note, *want.Note)
	}
	if want.Alternatives != nil {
		var alts []string
		if r.Expected != nil {
			for _, a := range r.Expected.Alternatives {
				alts = append(alts, describe(a))
			}
		}
		var wantAlts []string
		for _, k := range *want.Alternatives {
			wantAlts = append(wantAlts, describe(stateOf(k)))
		}
		if !sameSet(alts, wantAlts) {
			bad("alternatives %q; want %q", alts, wantAlts)
		}
	}
	if want.ActualKey.set {
		wantActual := stateOf(want.ActualKey.arn)
		if want.ActualEncrypted != nil {
			wantActual.Encrypted = *want.ActualEncrypted
		}
		switch {
		case !want.ActualKey.visible && r.Actual != nil:
			bad("actual %s; want null (not visible yet)", describe(*r.Actual))
		case !want.ActualKey.visible:
		case r.Actual == nil:
			bad("actual null; want %s", describe(stateOf(want.ActualKey.arn)))
		case *r.Actual != wantActual:
			bad("actual %+v; want %+v", *r.Actual, wantActual)
		}
	}
	if want.SourceAssociatedKeys != nil && !sameSet(r.SourceAssociatedKeyARNs, *want.SourceAssociatedKeys) {
		bad("sourceAssociatedKeyArns %q; want %q", r.SourceAssociatedKeyARNs, *want.SourceAssociatedKeys)
	}
	if want.IntendedKey != nil && r.IntendedKeyARN != *want.IntendedKey {
		bad("intendedKeyArn %q; want %q", r.IntendedKeyARN, *want.IntendedKey)
	}
	var codes []string
	for _, f := range want.Findings {
		code, sev, ok := strings.Cut(f, ":")
		if !ok {
			bad("expect.json finding %q is not CODE:severity", f)
			continue
		}
		codes = append(codes, code)
		if i := slices.IndexFunc(v.Findings, func(g verify.Finding) bool { return g.Resource == r.Resource && g.Code == code }); i < 0 {
			bad("the verdict's findings have no %s for %q", code, r.Resource)
		} else if v.Findings[i].Severity != sev {
			bad("%s has severity %q; want %q", code, v.Findings[i].Severity, sev)
		}
	}
	if !sameSet(r.Findings, codes) {
		bad("findings %q; want %q", r.Findings, codes)
	}
	return out
}

// stateOf reads an expectation's key: "" is unencrypted.
func stateOf(arn string) rules.State {
	if arn == "" {
		return rules.State{}
	}
	return rules.EncryptedWith(arn)
}

func describe(s rules.State) string {
	switch {
	case !s.Encrypted:
		return "unencrypted"
	case s.KMSKeyARN == "":
		return "encrypted with an unknown key"
	}
	return s.KMSKeyARN
}

// sameSet compares two lists as multisets: the spec fixes which findings and
// alternatives there are, not their order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// The oracle can fail: a verdict that meets an expectation stops meeting it
// when any one field of the expectation changes.
func TestCheckVerdictCatchesDifferences(t *testing.T) {
	dir := filepath.Join(samplesRoot, "copy-encrypted-shared")
	e, err := readExpectation(filepath.Join(dir, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	v := evaluateSample(t, dir)
	if p := checkVerdict(v, e); len(p) > 0 {
		t.Fatalf("the sample does not meet its own expectation: %q", p)
	}
	other := "arn:aws:kms:us-east-1:222222222222:key/0th30000-0000-4000-8000-000000000008"
	mutations := map[string]func(e *expectation){
		"status":         func(e *expectation) { e.Status = verify.StatusCompliant },
		"warnings":       func(e *expectation) { e.Warnings = 1 },
		"no resource":    func(e *expectation) { e.Resources = nil },
		"device":         func(e *expectation) { e.Resources[0].Device = "/dev/sdb" },
		"resource":       func(e *expectation) { e.Resources[0].Resource = ptr("snap-0other") },
		"source":         func(e *expectation) { e.Resources[0].Source = ptr("") },
		"rule":           func(e *expectation) { e.Resources[0].Rule = rules.CopyEncryptedOwned },
		"expected key":   func(e *expectation) { e.Resources[0].ExpectedKey = ptr(other) },
		"unencrypted":    func(e *expectation) { e.Resources[0].ExpectedKey = ptr("") },
		"alternatives":   func(e *expectation) { e.Resources[0].Alternatives = &[]string{} },
		"actual key":     func(e *expectation) { e.Resources[0].ActualKey = actualKey{set: true, visible: true, arn: other} },
		"not visible":    func(e *expectation) { e.Resources[0].ActualKey = actualKey{set: true} },
		"intended key":   func(e *expectation) { e.Resources[0].IntendedKey = ptr("") },
		"finding":        func(e *expectation) { e.Resources[0].Findings = nil },
		"extra finding":  func(e *expectation) { e.Resources[0].Findings = append(e.Resources[0].Findings, "KEY_MISMATCH:high") },
		"severity":       func(e *expectation) { e.Resources[0].Findings = []string{rules.DefaultKeyFallback + ":high"} },
		"error":          func(e *expectation) { e.Resources[0].Error = "cannot be resolved" },
		"left out field": func(e *expectation) { e.Resources[0].IntendedKey = nil },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			m := e
			m.Resources = slices.Clone(e.Resources)
			mutate(&m)
			if p := checkVerdict(v, m); len(p) == 0 {
				t.Error("the changed expectation still passes")
			}
		})
	}
}

func ptr(s string) *string { return &s }

// reachableRuleIDs lists, per kind of the registry, the rule IDs a successful
// record can yield as a resource's rule: every combination of the kind's
// inputs through rules.Predict, which reads a record EC2 accepted. A row that
// says the call fails is reachable (the resource is then an error naming it);
// a row that only a failed call reaches (copy/encrypted/decrypt, read as
// Encrypted absent on success) is not, and no sample can show it.
func reachableRuleIDs(t *testing.T) map[string][]string {
	t.Helper()
	keys := rules.Keys{
		Source:     "arn:aws:kms:us-east-1:111111111111:key/src",
		Default:    "arn:aws:kms:us-east-1:222222222222:key/def",
		AWSManaged: "arn:aws:kms:us-east-1:222222222222:key/awsebs",
		Request:    "arn:aws:kms:us-east-1:222222222222:key/k",
		Original:   "arn:aws:kms:us-east-1:222222222222:key/orig",
	}
	out := map[string][]string{}
	for _, k := range rules.Kinds() {
		reached := map[string]bool{}
		for _, in := range k.Inputs() {
			p, err := rules.Predict(in, keys)
			if errors.Is(err, rules.ErrNoNewResult) {
				continue // skipped (rootreplace/volume): a sample shows its reason, no resource its rule
			}
			if err != nil && !errors.Is(err, rules.ErrRequestRejected) {
				t.Errorf("Predict(%+v): %v", in, err)
				continue
			}
			reached[p.RuleID] = true
		}
		for _, id := range k.RuleIDs() {
			if reached[id] {
				out[k.EventName] = append(out[k.EventName], id)
			} else {
				t.Logf("%s: rule %s is not reachable by a successful record", k.EventName, id)
			}
		}
		if len(out[k.EventName]) == 0 {
			t.Errorf("%s: no rule is reachable", k.EventName)
		}
	}
	out[settingsReachable] = rules.SettingRuleIDs()
	return out
}

// missingRules returns the reachable rule IDs that no expectation names as a
// resource's rule, compared exactly: copy/key is not covered by a sample of
// copy/key-without-encrypted.
func missingRules(reachable map[string][]string, expectations map[string]expectation) []string {
	covered := map[string]bool{}
	for _, e := range expectations {
		for _, r := range e.Resources {
			covered[r.Rule] = true
		}
	}
	var out []string
	for _, k := range rules.Kinds() {
		for _, id := range reachable[k.EventName] {
			if !covered[id] {
				out = append(out, id)
			}
		}
	}
	for _, id := range reachable[settingsReachable] {
		if !covered[id] {
			out = append(out, id)
		}
	}
	return out
}

// settingsReachable keys the settings changes' rule IDs in reachableRuleIDs:
// every row of their table is reachable by a successful record.
const settingsReachable = "settings"

// reachableNames are the keys of reachableRuleIDs, in order.
func reachableNames() []string {
	var out []string
	for _, k := range rules.Kinds() {
		out = append(out, k.EventName)
	}
	return append(out, settingsReachable)
}

// readmeSample matches a row of the samples' README table: | `name` | ... |
var readmeSample = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// readmeMismatch compares the samples the README lists with the sample
// folders: listed without a folder, and folders not listed.
func readmeMismatch(readme []byte, folders []string) (unknown, unlisted []string) {
	listed := map[string]bool{}
	for _, m := range readmeSample.FindAllSubmatch(readme, -1) {
		name := string(m[1])
		if listed[name] {
			unknown = append(unknown, name+" (listed twice)")
		}
		listed[name] = true
		if !slices.Contains(folders, name) {
			unknown = append(unknown, name)
		}
	}
	for _, f := range folders {
		if !listed[f] {
			unlisted = append(unlisted, f)
		}
	}
	return unknown, unlisted
}

// TestSamplesCoverEveryRule: every rule ID a successful record can yield, of
// every kind of the registry, is the rule of some resource in some
// hand-written expectation, and the samples' README lists exactly the sample
// folders.
func TestSamplesCoverEveryRule(t *testing.T) {
	reachable := reachableRuleIDs(t)
	expectations := map[string]expectation{}
	var folders []string
	for _, dir := range sampleDirs(t) {
		folders = append(folders, filepath.Base(dir))
		e, err := readExpectation(filepath.Join(dir, "expect.json"))
		if err != nil {
			t.Errorf("sample %s: %v", filepath.Base(dir), err)
			continue
		}
		expectations[filepath.Base(dir)] = e
	}

	t.Run("samples", func(t *testing.T) {
		for _, id := range missingRules(reachable, expectations) {
			t.Errorf("no sample's expect.json has a resource with rule %s", id)
		}
		readme, err := os.ReadFile(filepath.Join(samplesRoot, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		unknown, unlisted := readmeMismatch(readme, folders)
		for _, name := range unknown {
			t.Errorf("events/samples/README.md lists %s, which is no sample folder", name)
		}
		for _, name := range unlisted {
			t.Errorf("events/samples/README.md does not list the sample %s", name)
		}
	})

	// The check is exact: taking every resource of one rule out of the
	// expectations is reported, also for an ID that is a prefix of another
	// (copy/key of copy/key-without-encrypted).
	t.Run("each rule removed is missed", func(t *testing.T) {
		before := missingRules(reachable, expectations)
		for _, name := range reachableNames() {
			for _, id := range reachable[name] {
				if slices.Contains(before, id) {
					continue // already reported by "samples"
				}
				without := map[string]expectation{}
				for name, e := range expectations {
					e.Resources = slices.DeleteFunc(slices.Clone(e.Resources), func(r resourceExpectation) bool { return r.Rule == id })
					without[name] = e
				}
				if got := missingRules(reachable, without); !slices.Contains(got, id) || len(got) != len(before)+1 {
					t.Errorf("without %s, missing rules are %q; want %q and it", id, got, before)
				}
			}
		}
	})

	t.Run("README mismatch is reported", func(t *testing.T) {
		readme := []byte("| scenario | what |\n|---|---|\n| `a` | x |\n| `ghost` | y |\n")
		unknown, unlisted := readmeMismatch(readme, []string{"a", "b"})
		if !slices.Equal(unknown, []string{"ghost"}) || !slices.Equal(unlisted, []string{"b"}) {
			t.Errorf("unknown %q, unlisted %q; want [ghost] and [b]", unknown, unlisted)
		}
	})
}
