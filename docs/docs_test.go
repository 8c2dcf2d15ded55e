// Package docs holds the documentation's tests that belong to no code
// package: links that resolve, and a README that stays short.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeMaxLines is issue 17's "about 250 lines", with a little room.
const readmeMaxLines = 260

var (
	link    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
)

// anchor is the link target GitHub gives a heading: lower case, punctuation
// but hyphens and underscores dropped, spaces as hyphens.
func anchor(h string) string {
	s := strings.ToLower(strings.TrimSpace(h))
	s = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

// prose is a Markdown file without its fenced code blocks, where neither
// links nor headings are.
func prose(b []byte) string {
	var out []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func anchors(text string) map[string]bool {
	m := map[string]bool{}
	for _, h := range heading.FindAllStringSubmatch(text, -1) {
		m[anchor(h[1])] = true
	}
	return m
}

// brokenLinks lists the relative links of a Markdown file (path relative to
// the repository) whose file or heading does not exist; exempt says which
// targets may be missing (pages other branches add).
func brokenLinks(root, file string, exempt map[string]bool) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil, err
	}
	text := prose(b)
	var bad []string
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		path, frag, _ := strings.Cut(target, "#")
		var doc string
		if path == "" {
			doc = text
		} else {
			rel := filepath.Join(filepath.Dir(file), path)
			tb, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				if _, statErr := os.Stat(filepath.Join(root, rel)); statErr == nil {
					continue // a folder
				}
				if !exempt[filepath.ToSlash(rel)] {
					bad = append(bad, target+": no such file")
				}
				continue
			}
			doc = prose(tb)
		}
		if frag != "" && strings.HasSuffix(path, ".md") || path == "" && frag != "" {
			if !anchors(doc)[frag] {
				bad = append(bad, target+": no such heading")
			}
		}
	}
	return bad, nil
}

// Every relative link of the README, docs/ and the samples' README names a
// file, and a heading of it, that exists; the pages of the README's "More"
// list may be missing, from every file (other work adds them).
func TestDocLinks(t *testing.T) {
	root := ".."
	files := []string{"README.md", "events/samples/README.md"}
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, p := range pages {
		files = append(files, filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	exempt := map[string]bool{}
	if _, more, ok := strings.Cut(string(readme), "\nMore:\n"); ok {
		for _, m := range link.FindAllStringSubmatch(more, -1) {
			exempt[m[1]] = true // as the README names them, relative to the top
		}
	}
	for _, f := range files {
		bad, err := brokenLinks(root, f, exempt)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			t.Errorf("%s links to %s", f, b)
		}
	}
}

// The checker finds what it must.
func TestBrokenLinks(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "docs"), 0o755)
	os.WriteFile(filepath.Join(root, "docs", "a.md"), []byte("# A page\n\n## 1. `ebsguard audit`: the last 90 days\n"), 0o644)
	os.WriteFile(filepath.Join(root, "README.md"), []byte(strings.Join([]string{
		"# Top", "[ok](docs/a.md) [ok](docs/a.md#1-ebsguard-audit-the-last-90-days) [ok](#top) [web](https://example.com/x)",
		"[gone](docs/b.md) [bad heading](docs/a.md#nope) [bad here](#nope) [later](docs/c.md)",
		"```", "[in code](docs/none.md)", "```",
	}, "\n")), 0o644)
	bad, err := brokenLinks(root, "README.md", map[string]bool{"docs/c.md": true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docs/b.md: no such file", "docs/a.md#nope: no such heading", "#nope: no such heading"}
	if strings.Join(bad, "|") != strings.Join(want, "|") {
		t.Errorf("broken %q; want %q", bad, want)
	}
}

// The README a newcomer finishes (issue 17 §5): short, with the two set-up
// commands, and everything else in docs/.
func TestREADMEIsShort(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > readmeMaxLines {
		t.Errorf("README.md has %d lines; at most %d: move the detail to docs/", n, readmeMaxLines)
	}
	for _, want := range []string{"make demo ", "make test ", "](docs/deploy.md)", "](docs/rules.md"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
