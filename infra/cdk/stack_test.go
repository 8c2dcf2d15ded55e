package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

var central, member awscdk.Stack
var app awscdk.App

func TestMain(m *testing.M) {
	// One app and one synthesis for every test: each start of the jsii
	// node process costs seconds.
	dir, err := os.MkdirTemp("", "ebsguard-asset")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("stand-in for the bootstrap make build writes"), 0o755)
	app = awscdk.NewApp(nil)
	central, member = newApp(app, dir)
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// template is a synthesized stack as plain JSON.
func template(t *testing.T, s awscdk.Stack) map[string]map[string]any {
	t.Helper()
	raw := assertions.Template_FromStack(s, nil).ToJSON()
	b, _ := json.Marshal(raw)
	var out struct{ Resources map[string]map[string]any }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.Resources
}

func ofType(res map[string]map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range res {
		if r["Type"] == typ {
			p, _ := r["Properties"].(map[string]any)
			out = append(out, p)
		}
	}
	return out
}

func list(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// GIVEN the app WHEN synthesized THEN every rule matches the shared pattern.
func TestEventPattern(t *testing.T) {
	for name, s := range map[string]awscdk.Stack{"central": central, "member": member} {
		rules := ofType(template(t, s), "AWS::Events::Rule")
		want := map[string]int{"central": 2, "member": 1}[name]
		if len(rules) != want {
			t.Errorf("%s: %d rules; want %d", name, len(rules), want)
		}
		for _, r := range rules {
			if !reflect.DeepEqual(r["EventPattern"], deployment.EventPattern()) {
				t.Errorf("%s: pattern %v; want %v", name, r["EventPattern"], deployment.EventPattern())
			}
		}
	}
}

func TestFunction(t *testing.T) {
	fns := ofType(template(t, central), "AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("%d functions", len(fns))
	}
	fn := fns[0]
	if fn["Runtime"] != deployment.Runtime || !slices.Equal(list(fn["Architectures"]), []string{deployment.Architecture}) || fn["Handler"] != deployment.Handler {
		t.Errorf("runtime %v, architectures %v, handler %v", fn["Runtime"], fn["Architectures"], fn["Handler"])
	}
	if fn["DeadLetterConfig"] == nil {
		t.Error("the function has no dead-letter queue")
	}
	if lc, _ := fn["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" {
		t.Errorf("LoggingConfig = %v", fn["LoggingConfig"])
	}
	for _, g := range ofType(template(t, central), "AWS::Logs::LogGroup") {
		if g["RetentionInDays"] == nil {
			t.Error("log group without retention")
		}
	}
	for _, r := range ofType(template(t, central), "AWS::Events::Rule") {
		for _, tg := range r["Targets"].([]any) {
			target := tg.(map[string]any)
			if target["DeadLetterConfig"] == nil || target["RetryPolicy"] == nil {
				t.Errorf("rule target without dead-letter queue or retry policy: %v", target)
			}
		}
	}
}

// statements returns every IAM policy statement of a stack's roles and policies.
func statements(t *testing.T, s awscdk.Stack) []map[string]any {
	var out []map[string]any
	res := template(t, s)
	add := func(doc any) {
		d, _ := doc.(map[string]any)
		for _, st := range d["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	for _, p := range ofType(res, "AWS::IAM::Policy") {
		add(p["PolicyDocument"])
	}
	for _, r := range ofType(res, "AWS::IAM::Role") {
		inline, _ := r["Policies"].([]any)
		for _, p := range inline {
			add(p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

// The exact read actions on "*" in both stacks, and no wildcard action anywhere.
func TestPermissions(t *testing.T) {
	for name, s := range map[string]awscdk.Stack{"central": central, "member": member} {
		var star, all []string
		for _, st := range statements(t, s) {
			actions := list(st["Action"])
			all = append(all, actions...)
			if st["Resource"] == "*" {
				star = append(star, actions...)
			}
		}
		slices.Sort(star)
		if !slices.Equal(star, deployment.ReadActions) {
			t.Errorf("%s: actions on *: %v; want %v", name, star, deployment.ReadActions)
		}
		for _, a := range all {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s", name, a)
			}
		}
	}
	// The reader role: fixed name, trusted by the central role within the organization only.
	for _, r := range ofType(template(t, member), "AWS::IAM::Role") {
		if r["RoleName"] != deployment.ReaderRoleName {
			continue
		}
		trust, _ := json.Marshal(r["AssumeRolePolicyDocument"])
		if !strings.Contains(string(trust), "CentralFunctionRoleArn") || !strings.Contains(string(trust), "aws:PrincipalOrgID") {
			t.Errorf("reader role trust: %s", trust)
		}
		return
	}
	t.Errorf("no role named %s in the member stack", deployment.ReaderRoleName)
}

func TestEncryptionAndBusPolicy(t *testing.T) {
	res := template(t, central)
	for _, topic := range ofType(res, "AWS::SNS::Topic") {
		if topic["KmsMasterKeyId"] == nil {
			t.Error("topic not encrypted")
		}
	}
	for _, q := range ofType(res, "AWS::SQS::Queue") {
		if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
			t.Error("queue not encrypted")
		}
	}
	var tls bool
	for _, p := range ofType(res, "AWS::SNS::TopicPolicy") {
		b, _ := json.Marshal(p)
		tls = tls || strings.Contains(string(b), `"aws:SecureTransport":"false"`)
	}
	if !tls {
		t.Error("the topic policy does not deny non-TLS requests")
	}
	policies := ofType(res, "AWS::Events::EventBusPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d bus policies; want 1", len(policies))
	}
	b, _ := json.Marshal(policies[0])
	if !strings.Contains(string(b), "aws:PrincipalOrgID") || !strings.Contains(string(b), "OrganizationId") {
		t.Errorf("bus policy is not limited to the organization: %s", b)
	}
}

// cdk-nag's AWS Solutions checks raise no unsuppressed error.
func TestNag(t *testing.T) {
	for name, s := range map[string]awscdk.Stack{"central": central, "member": member} {
		errs := assertions.Annotations_FromStack(s).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, e := range *errs {
			t.Errorf("%s: %v", name, e.Entry.Data)
		}
		warns := assertions.Annotations_FromStack(s).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, w := range *warns {
			t.Logf("%s warning: %v", name, w.Entry.Data)
		}
	}
}

// cfn-lint on both synthesized templates, when the machine has it: no errors
// (its warnings, such as CDK's redundant DependsOn, are tolerated).
func TestCfnLint(t *testing.T) {
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	for name, s := range map[string]awscdk.Stack{"central": central, "member": member} {
		b, _ := json.Marshal(assertions.Template_FromStack(s, nil).ToJSON())
		file := filepath.Join(t.TempDir(), name+".json")
		os.WriteFile(file, b, 0o644)
		out, err := exec.Command(path, file).CombinedOutput()
		var exit *exec.ExitError
		// cfn-lint exits 2 for errors, 4 for warnings, 8 for informational.
		if errors.As(err, &exit) && exit.ExitCode()&2 != 0 {
			t.Errorf("%s: cfn-lint: %s", name, out)
		}
	}
}
