// Package cfntest reads a CloudFormation template the way CloudFormation
// deploys it for given parameter values: conditions evaluated, conditional
// resources left out, Fn::If resolved and AWS::NoValue dropped. The tests of
// both deployments (the CDK app's synthesized templates and template.yaml)
// use it, so that what a setting grants is asserted, not the template's text.
package cfntest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Template is a template as JSON; YAML must be converted first.
type Template struct {
	Description string
	Parameters  map[string]Parameter
	Conditions  map[string]any
	Resources   map[string]Resource
}

// Parameter is a template parameter's declaration.
type Parameter struct {
	Type           string
	Default        any
	Description    string
	AllowedPattern string
	AllowedValues  []string
}

// Resource is a template resource, read without typed resources (they
// would drop what they do not know).
type Resource struct {
	Type       string
	Condition  string
	Metadata   map[string]any
	Properties map[string]any
}

// Parse reads a template from JSON.
func Parse(b []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return &t, nil
}

// Deployment is a template as deployed with some parameter values.
type Deployment struct {
	t      *Template
	params map[string]string
	conds  map[string]bool
	// Resources are the resources that exist, their properties resolved.
	Resources map[string]Resource
}

// Deploy evaluates the template with params (parameter or pseudo parameter
// such as AWS::Region to value); a parameter not given takes its default.
func (t *Template) Deploy(params map[string]string) (*Deployment, error) {
	d := &Deployment{t: t, params: params, conds: map[string]bool{}, Resources: map[string]Resource{}}
	for name, r := range t.Resources {
		if r.Condition != "" {
			ok, err := d.Condition(r.Condition)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", name, err)
			}
			if !ok {
				continue
			}
		}
		props, keep, err := d.resolve(r.Properties)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
		r.Properties, _ = props.(map[string]any)
		if !keep {
			r.Properties = nil
		}
		d.Resources[name] = r
	}
	return d, nil
}

// Condition evaluates a named condition.
func (d *Deployment) Condition(name string) (bool, error) {
	if v, ok := d.conds[name]; ok {
		return v, nil
	}
	expr, ok := d.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := d.eval(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	d.conds[name] = v
	return v, nil
}

func (d *Deployment) eval(expr any) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("not a condition function: %v", expr)
	}
	for fn, arg := range m {
		if fn == "Condition" {
			name, _ := arg.(string)
			return d.Condition(name)
		}
		args, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes 2 values: %v", arg)
			}
			a, err := d.value(args[0])
			if err != nil {
				return false, err
			}
			b, err := d.value(args[1])
			if err != nil {
				return false, err
			}
			return a == b, nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("Fn::Not takes 1 condition: %v", arg)
			}
			v, err := d.eval(args[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			for _, a := range args {
				v, err := d.eval(a)
				if err != nil {
					return false, err
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
		return false, fmt.Errorf("unsupported condition function %s", fn)
	}
	return false, fmt.Errorf("not a condition function: %v", expr) // m has one key: not reached
}

// value is a string or the value of a Ref to a parameter.
func (d *Deployment) value(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := d.params[ref]; ok {
				return p, nil
			}
			if decl, ok := d.t.Parameters[ref]; ok && decl.Default != nil {
				return fmt.Sprint(decl.Default), nil
			}
			return "", fmt.Errorf("no value for %s", ref)
		}
	}
	return "", fmt.Errorf("cannot compare %v", v)
}

// resolve replaces every Fn::If by its chosen branch; keep is false for
// AWS::NoValue, which its parent drops; Fn::GetAtt takes its list form.
// Other references stay as they are,
// so that a test can tell which parameter or resource a value comes from.
func (d *Deployment) resolve(v any) (out any, keep bool, err error) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"]; ok && ref == "AWS::NoValue" && len(x) == 1 {
			return nil, false, nil
		}
		if arg, ok := x["Fn::If"]; ok && len(x) == 1 {
			args, _ := arg.([]any)
			name, _ := args[0].(string)
			if len(args) != 3 || name == "" {
				return nil, false, fmt.Errorf("malformed Fn::If %v", arg)
			}
			c, err := d.Condition(name)
			if err != nil {
				return nil, false, err
			}
			if c {
				return d.resolve(args[1])
			}
			return d.resolve(args[2])
		}
		if att, ok := x["Fn::GetAtt"].(string); ok && len(x) == 1 {
			// YAML's !GetAtt A.B is the list form's short hand.
			if res, attr, ok := strings.Cut(att, "."); ok {
				return map[string]any{"Fn::GetAtt": []any{res, attr}}, true, nil
			}
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			r, keep, err := d.resolve(e)
			if err != nil {
				return nil, false, err
			}
			if keep {
				m[k] = r
			}
		}
		return m, true, nil
	case []any:
		l := make([]any, 0, len(x))
		for _, e := range x {
			r, keep, err := d.resolve(e)
			if err != nil {
				return nil, false, err
			}
			if keep {
				l = append(l, r)
			}
		}
		return l, true, nil
	}
	return v, true, nil
}

// OfType returns the logical IDs of the resources of a type, sorted.
func (d *Deployment) OfType(typ string) []string {
	var ids []string
	for id, r := range d.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
