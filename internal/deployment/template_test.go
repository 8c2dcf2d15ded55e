package deployment_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"
	"github.com/ebsguard/ebsguard/internal/deployment"
)

// resource is a template resource, read without goformation's typed
// resources (they drop an EventBridgeRule event's properties when
// DeadLetterConfig or RetryPolicy is present).
type resource struct {
	Type       string
	Metadata   map[string]any
	Properties map[string]any
}

func loadTemplate(t *testing.T) map[string]resource {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := intrinsics.ProcessYAML(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	var tmpl struct{ Resources map[string]resource }
	if err := json.Unmarshal(j, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl.Resources
}

func only(t *testing.T, res map[string]resource, typ string) (string, resource) {
	t.Helper()
	var name string
	for n, r := range res {
		if r.Type == typ {
			if name != "" {
				t.Fatalf("more than one %s", typ)
			}
			name = n
		}
	}
	if name == "" {
		t.Fatalf("no %s", typ)
	}
	return name, res[name]
}

func strs(v any) []string {
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

func TestSAMFunction(t *testing.T) {
	res := loadTemplate(t)
	_, fn := only(t, res, "AWS::Serverless::Function")
	p := fn.Properties
	if p["Runtime"] != deployment.Runtime || p["Handler"] != deployment.Handler || !slices.Equal(strs(p["Architectures"]), []string{deployment.Architecture}) {
		t.Errorf("function runtime/handler/architectures = %v %v %v", p["Runtime"], p["Handler"], p["Architectures"])
	}
	if fn.Metadata["BuildMethod"] != "makefile" {
		t.Errorf("Metadata.BuildMethod = %v; want makefile (Makefile target build-GuardrailFunction)", fn.Metadata["BuildMethod"])
	}
	if p["Timeout"] != float64(deployment.TimeoutSec) || p["MemorySize"] != float64(deployment.MemoryMB) {
		t.Errorf("Timeout/MemorySize = %v/%v", p["Timeout"], p["MemorySize"])
	}
	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, k := range []string{deployment.EnvTopicARN, deployment.EnvPolicy} {
		if env[k] == nil {
			t.Errorf("environment lacks %s", k)
		}
	}
	events := p["Events"].(map[string]any)
	if len(events) != 1 {
		t.Fatalf("%d events; want 1", len(events))
	}
	for _, e := range events {
		ev := e.(map[string]any)
		props := ev["Properties"].(map[string]any)
		if ev["Type"] != "EventBridgeRule" {
			t.Errorf("event type %v", ev["Type"])
		}
		if !reflect.DeepEqual(props["Pattern"], deployment.EventPattern()) {
			t.Errorf("event pattern\n%v\nwant\n%v", props["Pattern"], deployment.EventPattern())
		}
		if props["DeadLetterConfig"] == nil || props["RetryPolicy"] == nil {
			t.Errorf("the EventBridge rule has no dead-letter queue or retry policy: %v", props)
		}
	}
	if dlq := p["DeadLetterQueue"]; dlq == nil {
		t.Error("the function has no dead-letter queue for failed asynchronous invocations")
	}
}

// The function's permissions: exactly the read actions on "*", publishing
// to its own topic, and nothing wildcarded.
func TestSAMPermissions(t *testing.T) {
	res := loadTemplate(t)
	_, pol := only(t, res, "AWS::IAM::Policy")
	stmts := pol.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any)
	var star []string
	var all []string
	for _, s := range stmts {
		st := s.(map[string]any)
		actions := strs(st["Action"])
		all = append(all, actions...)
		if st["Resource"] == "*" {
			star = append(star, actions...)
		}
	}
	slices.Sort(star)
	if !slices.Equal(star, deployment.ReadActions) {
		t.Errorf("actions on *: %v\nwant %v", star, deployment.ReadActions)
	}
	for _, a := range all {
		if strings.Contains(a, "*") {
			t.Errorf("wildcard action %s", a)
		}
	}
	if !slices.Contains(all, "sns:Publish") {
		t.Error("the function may not publish")
	}
}

func TestSAMEncryption(t *testing.T) {
	res := loadTemplate(t)
	_, topic := only(t, res, "AWS::SNS::Topic")
	if topic.Properties["KmsMasterKeyId"] == nil {
		t.Error("the topic is not encrypted")
	}
	_, q := only(t, res, "AWS::SQS::Queue")
	if q.Properties["SqsManagedSseEnabled"] != true && q.Properties["KmsMasterKeyId"] == nil {
		t.Error("the dead-letter queue is not encrypted")
	}
	_, key := only(t, res, "AWS::KMS::Key")
	if key.Properties["EnableKeyRotation"] != true {
		t.Error("the topic key does not rotate")
	}
}

// cfn-lint (with the SAM translator) when the machine has it.
func TestCfnLint(t *testing.T) {
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	out, err := exec.Command(path, "../../template.yaml").CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
