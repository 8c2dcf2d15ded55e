package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/deployment/cfntest"
)

// The doctor's reads: the member role exists only with an auditor, in the
// reader role's Region, trusts the auditor alone and reads the forwarding
// rule only; the rule has the name the doctor looks for; the central
// policy for the auditor grants exactly the doctor's reads.
func TestDoctorPermissions(t *testing.T) {
	auditor := "arn:aws:iam::111111111111:role/secops"
	for _, tt := range []struct {
		region, auditor string
		want            bool
	}{{"us-east-1", auditor, true}, {"us-east-1", "", false}, {"eu-west-1", auditor, false}} {
		d := deployMember(t, tt.region, tt.auditor)
		var roles []string
		for _, id := range d.OfType("AWS::IAM::Role") {
			if d.Resources[id].Properties["RoleName"] == deployment.DoctorRoleName {
				roles = append(roles, id)
			}
		}
		if (len(roles) == 1) != tt.want || len(roles) > 1 {
			t.Errorf("%s, auditor %q: doctor roles %v; want %v", tt.region, tt.auditor, roles, tt.want)
			continue
		}
		if !tt.want {
			continue
		}
		stmts, err := d.RoleStatements(roles[0])
		if err != nil {
			t.Fatal(err)
		}
		got := cfntest.Grants(stmts)
		if len(got) != len(deployment.DoctorMemberActions) {
			t.Errorf("doctor role grants %v", got)
		}
		for _, g := range got {
			if !slices.Contains(deployment.DoctorMemberActions, g.Action) || !strings.Contains(g.Resource, ":rule/"+deployment.ForwardRuleName) {
				t.Errorf("doctor role grants %s on %s", g.Action, g.Resource)
			}
		}
		principals, _ := d.TrustedPrincipals(t, roles[0])
		if !slices.Equal(principals, []string{`{"Ref":"` + deployment.AuditorRoleParameter.Name + `"}`}) {
			t.Errorf("doctor role trusts %v; want the auditor alone", principals)
		}
	}
	d := deployMember(t, "eu-west-1", "")
	named := false
	for _, id := range d.OfType("AWS::Events::Rule") {
		named = named || d.Resources[id].Properties["Name"] == deployment.ForwardRuleName
	}
	if !named {
		t.Errorf("no rule named %s in the member stack", deployment.ForwardRuleName)
	}

	c := deployCentral(t, "false")
	policies := c.OfType("AWS::IAM::ManagedPolicy")
	if len(policies) != 1 {
		t.Fatalf("managed policies %v; want the doctor's", policies)
	}
	stmts, err := cfntest.Statements(c.Resources[policies[0]].Properties["PolicyDocument"])
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, g := range cfntest.Grants(stmts) {
		actions = append(actions, g.Action)
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	want := append(slices.Clone(deployment.DoctorCentralActions), "sts:AssumeRole")
	slices.Sort(want)
	if !slices.Equal(actions, want) {
		t.Errorf("doctor policy actions %v; want %v", actions, want)
	}
	if roles := c.Resources[policies[0]].Properties["Roles"]; roles != nil {
		t.Errorf("the doctor policy is attached to %v; it is for the auditor's role, attached by its owner", roles)
	}
}
