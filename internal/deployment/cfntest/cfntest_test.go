package cfntest

import (
	"slices"
	"testing"
)

const sample = `{
  "Parameters": {
    "On":   {"Type": "String", "Default": "false"},
    "Name": {"Type": "String", "Default": ""}
  },
  "Conditions": {
    "IsOn":       {"Fn::Equals": [{"Ref": "On"}, "true"]},
    "HasName":    {"Fn::Not": [{"Fn::Equals": [{"Ref": "Name"}, ""]}]},
    "Both":       {"Fn::And": [{"Condition": "IsOn"}, {"Condition": "HasName"}]},
    "Either":     {"Fn::Or": [{"Condition": "IsOn"}, {"Condition": "HasName"}]},
    "InHome":     {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
  },
  "Resources": {
    "Always": {"Type": "T", "Properties": {"List": ["a", {"Fn::If": ["HasName", {"Ref": "Name"}, {"Ref": "AWS::NoValue"}]}],
                                         "Opt": {"Fn::If": ["IsOn", "on", {"Ref": "AWS::NoValue"}]},
                                         "Att": {"Fn::GetAtt": "Queue.Arn"}}},
    "OnlyOn": {"Type": "T", "Condition": "IsOn"},
    "OnlyBoth": {"Type": "T", "Condition": "Both"},
    "OnlyEither": {"Type": "T", "Condition": "Either"},
    "OnlyHome": {"Type": "T", "Condition": "InHome"}
  }
}`

func TestDeploy(t *testing.T) {
	tmpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		params    map[string]string
		resources []string
		list      string
		opt       string
	}{
		{"defaults", map[string]string{"AWS::Region": "us-east-1"}, []string{"Always"}, `["a"]`, "null"},
		{"on", map[string]string{"On": "true", "AWS::Region": "us-east-1"}, []string{"Always", "OnlyEither", "OnlyOn"}, `["a"]`, `"on"`},
		{"name", map[string]string{"Name": "x", "AWS::Region": "eu-west-1"}, []string{"Always", "OnlyEither", "OnlyHome"}, `["a",{"Ref":"Name"}]`, "null"},
		{"both", map[string]string{"On": "true", "Name": "x", "AWS::Region": "us-east-1"}, []string{"Always", "OnlyBoth", "OnlyEither", "OnlyOn"}, `["a",{"Ref":"Name"}]`, `"on"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tmpl.Deploy(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			got := d.OfType("T")
			if !slices.Equal(got, tt.resources) {
				t.Errorf("resources %v; want %v", got, tt.resources)
			}
			p := d.Resources["Always"].Properties
			if JSON(p["List"]) != tt.list || JSON(p["Opt"]) != tt.opt {
				t.Errorf("List %s, Opt %s; want %s, %s", JSON(p["List"]), JSON(p["Opt"]), tt.list, tt.opt)
			}
			if got, want := JSON(p["Att"]), `{"Fn::GetAtt":["Queue","Arn"]}`; got != want {
				t.Errorf("Att %s; want %s", got, want)
			}
		})
	}
}

// A condition on a parameter with no default and no value is an error, not false.
func TestDeployMissingValue(t *testing.T) {
	tmpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Deploy(nil); err == nil {
		t.Error("AWS::Region has no value, yet InHome evaluated")
	}
}

func TestGrants(t *testing.T) {
	stmts, err := Statements(map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"b:Two", "a:One"}, "Resource": "*"},
		map[string]any{"Effect": "Allow", "Action": "a:One", "Resource": []any{"*", map[string]any{"Ref": "Q"}}},
		map[string]any{"Effect": "Deny", "Action": "c:Three", "Resource": "*"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Grant{{"a:One", `"*"`}, {"a:One", `{"Ref":"Q"}`}, {"b:Two", `"*"`}}
	if got := Grants(stmts); !slices.Equal(got, want) {
		t.Errorf("Grants = %v; want %v", got, want)
	}
}
