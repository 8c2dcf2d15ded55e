package rules_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

var update = flag.Bool("update", false, "rewrite the generated rule tables (docs/rules.md) and their summary (README.md) from the registry")

// The documentation's generated sections: the rule tables in docs/rules.md,
// one per kind of the registry, and their summary in the README, one line
// per kind with a link to its table. Everything between a section's markers
// is generated.
const (
	rulesPath   = "../../docs/rules.md"
	readmePath  = "../../README.md"
	tablesBegin = "<!-- rules:begin: generated from rules.Kinds() by `go test ./lambda/rules -run TestREADMERuleTables -update`; do not edit -->"
	tablesEnd   = "<!-- rules:end -->"
	// The summary's markers.
	summaryBegin = "<!-- rules-summary:begin: generated from rules.Kinds() by `go test ./lambda/rules -run TestREADMERuleTables -update`; do not edit -->"
	summaryEnd   = "<!-- rules-summary:end -->"
)

// generated is one generated section of a documentation file.
type generated struct {
	path       string
	begin, end string
	render     func([]rules.Kind) string
}

var sections = []generated{
	{rulesPath, tablesBegin, tablesEnd, ruleTables},
	{readmePath, summaryBegin, summaryEnd, ruleSummary},
}

// ruleSummary renders one line per kind: the call, linked to its table in
// docs/rules.md, what its rows are about, and how many rules it has.
func ruleSummary(kinds []rules.Kind) string {
	var b strings.Builder
	b.WriteString(summaryBegin + "\n\n| call | its table | rules |\n|---|---|---|\n")
	for _, k := range kinds {
		_, per, _ := strings.Cut(k.Title, ": ")
		fmt.Fprintf(&b, "| [`%s`](docs/rules.md#%s) | %s | %d |\n", k.EventName, anchor(k.Title), per, len(k.Rows()))
	}
	b.WriteString("\n" + summaryEnd)
	return b.String()
}

// anchor is the link target GitHub gives a heading: lower case, punctuation
// but hyphens dropped, spaces as hyphens.
func anchor(heading string) string {
	s := strings.ToLower(heading)
	s = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

// ruleTables renders one table per kind: its title as a heading, then its
// rows as rule ID | when | result, in the registry's order.
func ruleTables(kinds []rules.Kind) string {
	var b strings.Builder
	b.WriteString(tablesBegin + "\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n### %s\n\n| rule ID | when | result |\n|---|---|---|\n", k.Title)
		for _, r := range k.Rows() {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.RuleID, cell(r.When), cell(r.Result))
		}
	}
	fmt.Fprintf(&b, "\n### %s\n\n| rule ID | when | result |\n|---|---|---|\n", "Settings changes: encryption by default and the default key")
	for _, r := range rules.SettingRows() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.RuleID, cell(r.When), cell(r.Result))
	}
	b.WriteString("\n" + tablesEnd)
	return b.String()
}

// cell keeps a table cell in its column: a | would start a new one.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// spliceTables replaces the marked region of the rule tables, markers
// included, with tables.
func spliceTables(doc []byte, tables string) ([]byte, error) {
	return splice(doc, "<!-- rules:begin", tablesEnd, tables)
}

// splice replaces the region of doc from the marker that starts with begin
// to end, markers included, with text.
func splice(doc []byte, begin, end, text string) ([]byte, error) {
	b := bytes.Index(doc, []byte(begin))
	e := bytes.Index(doc, []byte(end))
	switch {
	case b < 0 || e < 0:
		return nil, fmt.Errorf("no %s … --> … %s markers", begin, end)
	case e < b:
		return nil, fmt.Errorf("the %s marker comes before %s", end, begin)
	case bytes.Count(doc, []byte(begin)) > 1 || bytes.Count(doc, []byte(end)) > 1:
		return nil, fmt.Errorf("more than one %s or %s marker", begin, end)
	}
	var out bytes.Buffer
	out.Write(doc[:b])
	out.WriteString(text)
	out.Write(doc[e+len(end):])
	return out.Bytes(), nil
}

// firstDifference describes the first line where two texts differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is\n\t%s\nwant\n\t%s", i+1, gl, wl)
		}
	}
	return "no difference"
}

// TestREADMERuleTables holds the generated rule tables (docs/rules.md) and
// their summary (README.md) to the registry that the engine, the Lambda and
// the deployment use (issue 12 §1, issue 17 §5); -update rewrites them.
func TestREADMERuleTables(t *testing.T) {
	for _, sec := range sections {
		doc, err := os.ReadFile(sec.path)
		if err != nil {
			t.Fatal(err)
		}
		// The begin marker up to "begin": a changed command in it is regenerated.
		marker := sec.begin[:strings.Index(sec.begin, "begin")+len("begin")]
		want, err := splice(doc, marker, sec.end, sec.render(rules.Kinds()))
		if err != nil {
			t.Fatalf("%s: %v", sec.path, err)
		}
		if *update {
			if err := os.WriteFile(sec.path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(doc, want) {
			t.Errorf("%s's generated section differs from rules.Kinds() (run go test ./lambda/rules -run TestREADMERuleTables -update): %s",
				sec.path, firstDifference(doc, want))
		}
	}
}

// Every line of the README's summary links to a heading of docs/rules.md.
func TestRuleSummaryLinks(t *testing.T) {
	tables := ruleTables(rules.Kinds())
	headings := map[string]bool{}
	for _, l := range strings.Split(tables, "\n") {
		if h, ok := strings.CutPrefix(l, "### "); ok {
			headings[anchor(h)] = true
		}
	}
	links := regexp.MustCompile(`\(docs/rules\.md#([^)]+)\)`).FindAllStringSubmatch(ruleSummary(rules.Kinds()), -1)
	if len(links) != len(rules.Kinds()) {
		t.Errorf("%d links for %d kinds", len(links), len(rules.Kinds()))
	}
	for _, l := range links {
		if !headings[l[1]] {
			t.Errorf("the summary links to #%s, which no table heads", l[1])
		}
	}
	if got := anchor("RunInstances: one row per EBS volume (the launch's)"); got != "runinstances-one-row-per-ebs-volume-the-launchs" {
		t.Errorf("anchor = %q", got)
	}
}

// The tables follow the registry: every kind has its heading and every rule
// its row, and a README that lost a row or kept a stale one no longer
// matches.
func TestRuleTablesFollowRegistry(t *testing.T) {
	tables := ruleTables(rules.Kinds())
	for _, k := range rules.Kinds() {
		if !strings.Contains(tables, "\n### "+k.Title+"\n") {
			t.Errorf("no heading for %s", k.EventName)
		}
		for _, r := range k.Rows() {
			if !strings.Contains(tables, "| `"+r.RuleID+"` | ") {
				t.Errorf("no row for %s", r.RuleID)
			}
		}
	}
	// Splicing keeps what comes before and after the markers.
	readme := []byte("intro\n\n" + tables + "\n\nafter\n")
	same, err := spliceTables(readme, tables)
	if err != nil || !bytes.Equal(same, readme) {
		t.Fatalf("splicing the same tables changed the README (%v)", err)
	}
	for name, edit := range map[string]func(string) string{
		"row lost":     func(s string) string { return strings.Replace(s, "| `copy/key` |", "| `copy/key-gone` |", 1) },
		"stale result": func(s string) string { return strings.Replace(s, "| unencrypted |", "| DEF |", 1) },
		"kind missing": func(s string) string { return s[:strings.LastIndex(s, "\n### ")] + "\n\n" + tablesEnd },
		"hand-written": func(s string) string { return strings.Replace(s, tablesEnd, "| `x/y` | z | w |\n"+tablesEnd, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			stale := []byte("intro\n\n" + edit(tables) + "\n\nafter\n")
			got, err := spliceTables(stale, tables)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(got, stale) {
				t.Error("a stale document matches the registry")
			}
			if !bytes.Equal(got, readme) {
				t.Errorf("regenerating did not restore the tables: %s", firstDifference(got, readme))
			}
		})
	}
	for name, broken := range map[string]string{
		"no markers": "intro\n",
		"reversed":   tablesEnd + "\n" + tablesBegin + "\n",
		"twice":      tables + "\n" + tables + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := spliceTables([]byte(broken), tables); err == nil {
				t.Error("spliced a document whose markers are broken")
			}
		})
	}
}
