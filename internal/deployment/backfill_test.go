package deployment

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The backfill grants are least privilege: no wildcard resource, no
// wildcard action, every S3 grant below a named prefix, and every variable a
// parameter of the stack or a pseudo parameter.
func TestBackfillStatements(t *testing.T) {
	params := map[string]bool{"AWS::Partition": true, "AWS::Region": true, "AWS::AccountId": true}
	for _, p := range BackfillParameters {
		params[p.Name] = true
	}
	vars := regexp.MustCompile(`\$\{([^}]+)\}`)
	var actions []string
	for _, s := range BackfillStatements() {
		for _, a := range s.Actions {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s", s.Sid, a)
			}
			actions = append(actions, a)
		}
		for _, r := range s.Resources {
			if r == "*" || strings.HasSuffix(r, ":*") {
				t.Errorf("%s: resource %s", s.Sid, r)
			}
			if strings.HasSuffix(r, "*") && !strings.HasSuffix(r, "Prefix}*") {
				t.Errorf("%s: %s is not bounded by a prefix", s.Sid, r)
			}
			for _, m := range vars.FindAllStringSubmatch(r, -1) {
				if !params[m[1]] {
					t.Errorf("%s: %s names no parameter", s.Sid, m[0])
				}
			}
		}
		if slices.Contains(s.Actions, "s3:ListBucket") && s.Condition["StringLike"]["s3:prefix"] == nil {
			t.Errorf("%s: ListBucket without a prefix condition", s.Sid)
		}
	}
	for _, want := range []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution",
		"glue:GetTable", "s3:GetObject", "s3:PutObject", "s3:ListBucket"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no grant of %s", want)
		}
	}
	for _, never := range []string{"s3:DeleteObject", "glue:DeleteTable", "glue:CreateTable", "athena:DeleteWorkGroup"} {
		if slices.Contains(actions, never) {
			t.Errorf("grants %s", never)
		}
	}
}
