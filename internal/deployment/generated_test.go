package deployment_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

var update = flag.Bool("update", false, "rewrite the generated permission lists of template.yaml and docs/permissions.md")

// A generated region of a file: from the line holding begin to the line
// holding end, both kept.
type generated struct {
	path       string
	begin, end string
	body       func() string
}

var generatedRegions = []generated{
	{"permissions.go", "// engine-reads:begin", "// engine-reads:end", func() string {
		var b strings.Builder
		for _, a := range verify.ReadActions() {
			fmt.Fprintf(&b, "\t%q,\n", a)
		}
		return b.String()
	}},
	{"../../template.yaml", "# engine-reads:begin", "# engine-reads:end", func() string {
		var b strings.Builder
		for _, a := range verify.ReadActions() {
			fmt.Fprintf(&b, "              - %s\n", a)
		}
		return b.String()
	}},
	{"../../docs/permissions.md", "<!-- permissions:begin", "<!-- permissions:end", permissionsTable},
	// The kinds of the registry, in the SAM template's descriptions and
	// pattern (the CDK app builds them from the registry at synth time).
	{"../../template.yaml", "# template-description:begin", "# template-description:end", func() string {
		return "Description: >-\n" + wrap("ebsguard, single-account quick start: evaluates the "+deployment.EventList()+
			" calls of this account and Region against the documented EBS encryption rules, and the settings changes "+
			deployment.SettingsList()+", checks again later what is"+
			" not visible yet, and publishes violations to an encrypted SNS topic. For an organization, deploy the CDK app in infra/cdk instead.", "  ", 76)
	}},
	{"../../template.yaml", "# function-description:begin", "# function-description:end", func() string {
		return "      Description: >-\n" + wrap(deployment.FunctionDescription(), "        ", 76)
	}},
	{"../../template.yaml", "# event-pattern:begin", "# event-pattern:end", func() string {
		p := deployment.EventPattern()
		d := p["detail"].(map[string]any)
		return "            Pattern:\n" +
			"              source: " + flow(p["source"]) + "\n" +
			"              detail-type: " + flow(p["detail-type"]) + "\n" +
			"              detail:\n" +
			"                eventSource: " + flow(d["eventSource"]) + "\n" +
			"                eventName: " + flow(d["eventName"]) + "\n"
	}},
}

// flow writes a list of the event pattern as a YAML flow sequence.
func flow(v any) string {
	var items []string
	for _, x := range v.([]any) {
		items = append(items, fmt.Sprint(x))
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// wrap folds s into lines of at most width characters, each indented: a
// YAML folded scalar that reads back as s.
func wrap(s, indent string, width int) string {
	var b, line strings.Builder
	for _, w := range strings.Fields(s) {
		if line.Len() > 0 && len(indent)+line.Len()+1+len(w) > width {
			b.WriteString(indent + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(w)
	}
	if line.Len() > 0 {
		b.WriteString(indent + line.String() + "\n")
	}
	return b.String()
}

// permissionsTable documents every role's actions, from the lists the
// deployments grant.
func permissionsTable() string {
	var b strings.Builder
	b.WriteString("\n| action | central function's role | member accounts' reader role |\n|---|---|---|\n")
	// From the interfaces, not EngineReadActions: one -update run writes
	// both.
	readerActions := append(verify.ReadActions(), deployment.AuditActions...)
	slices.Sort(readerActions)
	reader := map[string]bool{}
	for _, a := range readerActions {
		reader[a] = true
	}
	engine := map[string]bool{}
	for _, a := range verify.ReadActions() {
		engine[a] = true
	}
	mark := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "–"
	}
	for _, a := range readerActions {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a, mark(engine[a]), mark(reader[a]))
	}
	for _, l := range [][]string{deployment.RecheckSendActions, deployment.RecheckConsumeActions, deployment.SecurityHubActions} {
		for _, a := range l {
			fmt.Fprintf(&b, "| `%s` | yes | – |\n", a)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// The generated lists follow the code: a read added to verify.EC2API or
// verify.KMSAPI fails here until `-update` writes it into the template and
// the documentation.
func TestGeneratedPermissions(t *testing.T) {
	for _, g := range generatedRegions {
		t.Run(g.path+" "+g.begin, func(t *testing.T) {
			old, err := os.ReadFile(g.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := splice(old, g.begin, g.end, g.body())
			if err != nil {
				t.Fatalf("%s: %v", g.path, err)
			}
			if bytes.Equal(got, old) {
				return
			}
			if *update {
				if err := os.WriteFile(g.path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Errorf("%s's generated permissions are stale: run go test ./internal/deployment -run TestGeneratedPermissions -update", g.path)
		})
	}
}

// splice replaces the lines between the line holding begin and the line
// holding end with body.
func splice(file []byte, begin, end, body string) ([]byte, error) {
	b := bytes.Index(file, []byte(begin))
	e := bytes.Index(file, []byte(end))
	if b < 0 || e < 0 || e < b || bytes.Count(file, []byte(begin)) != 1 || bytes.Count(file, []byte(end)) != 1 {
		return nil, fmt.Errorf("want one %q line before one %q line", begin, end)
	}
	afterBegin := b + bytes.IndexByte(file[b:], '\n') + 1
	lineOfEnd := bytes.LastIndexByte(file[:e], '\n') + 1
	var out bytes.Buffer
	out.Write(file[:afterBegin])
	out.WriteString(body)
	out.Write(file[lineOfEnd:])
	return out.Bytes(), nil
}
