package rules_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

var update = flag.Bool("update", false, "rewrite the README's rule tables from the registry")

const readmePath = "../../README.md"

// The README's rule tables sit between these markers, one table per kind of
// the registry; everything between them is generated.
const (
	tablesBegin = "<!-- rules:begin: generated from rules.Kinds() by `go test ./lambda/rules -run TestREADMERuleTables -update`; do not edit -->"
	tablesEnd   = "<!-- rules:end -->"
)

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

// spliceTables replaces the marked region of a README, markers included,
// with tables.
func spliceTables(readme []byte, tables string) ([]byte, error) {
	begin := bytes.Index(readme, []byte("<!-- rules:begin"))
	end := bytes.Index(readme, []byte(tablesEnd))
	switch {
	case begin < 0 || end < 0:
		return nil, errors.New("README has no <!-- rules:begin … --> … <!-- rules:end --> markers")
	case end < begin:
		return nil, errors.New("README's rules:end marker comes before rules:begin")
	case bytes.Count(readme, []byte("<!-- rules:begin")) > 1 || bytes.Count(readme, []byte(tablesEnd)) > 1:
		return nil, errors.New("README has more than one rules:begin or rules:end marker")
	}
	var out bytes.Buffer
	out.Write(readme[:begin])
	out.WriteString(tables)
	out.Write(readme[end+len(tablesEnd):])
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

// TestREADMERuleTables holds the README's rule tables to the registry that
// the engine, the Lambda and the deployment use (issue 12 §1); -update
// rewrites them.
func TestREADMERuleTables(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceTables(readme, ruleTables(rules.Kinds()))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(readmePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("README.md's rule tables differ from rules.Kinds() (run go test ./lambda/rules -run TestREADMERuleTables -update): %s",
			firstDifference(readme, want))
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
				t.Error("a stale README matches the registry")
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
				t.Error("spliced a README whose markers are broken")
			}
		})
	}
}
