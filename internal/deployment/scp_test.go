package deployment_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
)

// The optional service control policy protects what a member could use to
// silence itself (the forwarding rule, the reader and auditor roles), for
// everyone but the StackSet's execution role, and names them as the member
// stack does.
func TestProtectionSCP(t *testing.T) {
	b, err := os.ReadFile("../../infra/scp/protect-ebsguard.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Effect    string
			Action    []string
			Resource  any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(b) > 5120 {
		t.Errorf("%d bytes; an SCP holds at most 5,120 characters", len(b))
	}
	var resources, actions []string
	for _, s := range doc.Statement {
		if s.Effect != "Deny" || s.Condition["ArnNotLike"]["aws:PrincipalArn"] != "arn:*:iam::*:role/stacksets-exec-*" {
			t.Errorf("statement %+v: want a Deny for all but the StackSet execution role", s)
		}
		actions = append(actions, s.Action...)
		switch r := s.Resource.(type) {
		case string:
			resources = append(resources, r)
		case []any:
			for _, x := range r {
				resources = append(resources, x.(string))
			}
		}
	}
	for _, want := range []string{"rule/" + deployment.ForwardRuleName, "role/" + deployment.ReaderRoleName, "role/" + deployment.AuditorRoleName} {
		if !slices.ContainsFunc(resources, func(r string) bool { return strings.HasSuffix(r, want) }) {
			t.Errorf("no statement protects %s", want)
		}
	}
	for _, want := range []string{"events:DisableRule", "events:DeleteRule", "events:RemoveTargets", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy"} {
		if !slices.Contains(actions, want) {
			t.Errorf("%s is not denied", want)
		}
	}
}
