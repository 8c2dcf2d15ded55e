package notify_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/ebsguard/ebsguard/lambda/notify"
)

// matches evaluates an SNS subscription filter policy with scope
// MessageAttributes, for the operators the documented policies use, as the
// SNS developer guide describes them ("Amazon SNS subscription filter
// policies", "AND/OR logic", "Key matching"):
//   - every key of the policy must match (AND); the values listed for a key
//     are alternatives (OR);
//   - a string matches a String attribute equal to it, or a String.Array
//     attribute with an element equal to it;
//   - {"exists": true} matches when the attribute is present, {"exists":
//     false} when it is absent, but only if the message has at least one
//     attribute: an empty set of attributes matches nothing;
//   - "$or" followed by an array of at least two objects matches when one
//     of them does.
func matches(t *testing.T, policy map[string]any, attrs map[string]snstypes.MessageAttributeValue) bool {
	t.Helper()
	for key, cond := range policy {
		if alts, ok := cond.([]any); ok && key == "$or" && len(alts) >= 2 && isObjects(alts) {
			if !slices.ContainsFunc(alts, func(alt any) bool { return matches(t, alt.(map[string]any), attrs) }) {
				return false
			}
			continue
		}
		values, ok := cond.([]any)
		if !ok {
			t.Fatalf("policy key %s: %v is not a list of values", key, cond)
		}
		attr, present := attrs[key]
		if !slices.ContainsFunc(values, func(val any) bool {
			switch x := val.(type) {
			case string:
				return present && attrEquals(t, attr, x)
			case map[string]any:
				exists, ok := x["exists"].(bool)
				if !ok || len(x) != 1 {
					t.Fatalf("operator %v not supported by this evaluator", x)
				}
				return exists == present && len(attrs) > 0
			}
			t.Fatalf("value %v not supported by this evaluator", val)
			return false
		}) {
			return false
		}
	}
	return true
}

func isObjects(xs []any) bool {
	for _, x := range xs {
		if _, ok := x.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func attrEquals(t *testing.T, a snstypes.MessageAttributeValue, want string) bool {
	switch aws.ToString(a.DataType) {
	case "String":
		return aws.ToString(a.StringValue) == want
	case "String.Array":
		var xs []string
		if err := json.Unmarshal([]byte(aws.ToString(a.StringValue)), &xs); err != nil {
			t.Fatalf("String.Array %q: %v", aws.ToString(a.StringValue), err)
		}
		return slices.Contains(xs, want)
	}
	return false
}

func policy(t *testing.T, doc string) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("filter policy %s is not JSON: %v", doc, err)
	}
	return p
}

// The two documented filter policies against messages built by Message and
// against a CloudWatch alarm notification, which carries no attributes.
func TestFilterPolicies(t *testing.T) {
	finding, err := notify.Message(topic, violation())
	if err != nil {
		t.Fatal(err)
	}
	notice, err := notify.Message(topic, readerRoleError())
	if err != nil {
		t.Fatal(err)
	}
	alarm := map[string]snstypes.MessageAttributeValue{}
	orAbsent := `{"$or": [{"status": ["error"]}, {"status": [{"exists": false}]}]}`
	tests := []struct {
		policy                 string
		finding, notice, alarm bool
	}{
		{notify.FindingsOnlyPolicy, true, false, false},
		{notify.OperationsOnlyPolicy, false, true, false},
		// Why the operations policy does not try to catch alarms: SNS's
		// exists:false does not match a message without attributes.
		{orAbsent, false, true, false},
		{`{"severity": ["high"]}`, true, false, false},
		{`{"findings": ["UNENCRYPTED"]}`, true, false, false},
		{`{"status": ["error"], "error": ["reader-role", "access-denied"]}`, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			p := policy(t, tt.policy)
			for _, c := range []struct {
				name  string
				attrs map[string]snstypes.MessageAttributeValue
				want  bool
			}{{"finding", finding.MessageAttributes, tt.finding}, {"notice", notice.MessageAttributes, tt.notice}, {"alarm", alarm, tt.alarm}} {
				if got := matches(t, p, c.attrs); got != c.want {
					t.Errorf("%s matches = %v; want %v", c.name, got, c.want)
				}
			}
		})
	}
}

// docs/operations.md shows the same policies the code and the test use.
func TestDocFilterPolicies(t *testing.T) {
	readme, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{notify.FindingsOnlyPolicy, notify.OperationsOnlyPolicy} {
		if !strings.Contains(string(readme), p) {
			t.Errorf("docs/operations.md does not show the filter policy %s", p)
		}
	}
}
