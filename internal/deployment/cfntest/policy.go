package cfntest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Statement is one IAM policy statement, Action and Resource as lists.
type Statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    []string
	Resource  []any
	Condition map[string]any
}

// Statements returns the statements of a policy document.
func Statements(doc any) ([]Statement, error) {
	d, _ := doc.(map[string]any)
	raw, _ := d["Statement"].([]any)
	if d == nil || raw == nil {
		return nil, fmt.Errorf("not a policy document: %v", doc)
	}
	var out []Statement
	for _, s := range raw {
		m, _ := s.(map[string]any)
		st := Statement{Principal: m["Principal"]}
		st.Sid, _ = m["Sid"].(string)
		st.Effect, _ = m["Effect"].(string)
		st.Condition, _ = m["Condition"].(map[string]any)
		for _, a := range list(m["Action"]) {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("action %v is not a string", a)
			}
			st.Action = append(st.Action, s)
		}
		st.Resource = list(m["Resource"])
		out = append(out, st)
	}
	return out, nil
}

func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// RoleStatements returns every statement that applies to a role: its inline
// policies and the AWS::IAM::Policy resources that name it.
func (d *Deployment) RoleStatements(roleID string) ([]Statement, error) {
	role, ok := d.Resources[roleID]
	if !ok || role.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("no role %s", roleID)
	}
	var out []Statement
	add := func(doc any) error {
		st, err := Statements(doc)
		out = append(out, st...)
		return err
	}
	for _, p := range list(role.Properties["Policies"]) {
		if err := add(p.(map[string]any)["PolicyDocument"]); err != nil {
			return nil, fmt.Errorf("role %s: %w", roleID, err)
		}
	}
	ref := map[string]any{"Ref": roleID}
	for _, id := range d.OfType("AWS::IAM::Policy") {
		p := d.Resources[id].Properties
		if slices.ContainsFunc(list(p["Roles"]), func(r any) bool { return reflect.DeepEqual(r, ref) }) {
			if err := add(p["PolicyDocument"]); err != nil {
				return nil, fmt.Errorf("policy %s: %w", id, err)
			}
		}
	}
	return out, nil
}

// Grant is one action allowed on one resource, the resource as its JSON.
type Grant struct{ Action, Resource string }

// Grants flattens the Allow statements into action and resource pairs,
// sorted, so that a test can state a role's permissions exactly.
func Grants(stmts []Statement) []Grant {
	var out []Grant
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			for _, r := range s.Resource {
				out = append(out, Grant{a, JSON(r)})
			}
		}
	}
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(strings.Compare(a.Action, b.Action), strings.Compare(a.Resource, b.Resource))
	})
	return slices.Compact(out)
}

// JSON is v as compact JSON: a plain string stays a JSON string, an
// intrinsic function such as {"Fn::GetAtt": [...]} its object. A value that
// does not encode (none of a parsed template's) reads as its error.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

// Lines formats grants one per line, for a readable difference.
func Lines(g []Grant) string {
	var b strings.Builder
	for _, x := range g {
		fmt.Fprintf(&b, "  %s on %s\n", x.Action, x.Resource)
	}
	return b.String()
}
