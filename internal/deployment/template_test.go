package deployment_test

import (
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/deployment/cfntest"
)

// template.yaml (SAM) held to internal/deployment. Resources are read as
// plain JSON rather than goformation's typed resources, which drop an
// EventBridgeRule event's properties when DeadLetterConfig or RetryPolicy
// is present.

func loadTemplate(t *testing.T) *cfntest.Template {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := intrinsics.ProcessYAML(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	tmpl, err := cfntest.Parse(j)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// deploySAM is template.yaml as deployed with the Security Hub option.
func deploySAM(t *testing.T, securityHub string) *cfntest.Deployment {
	t.Helper()
	d, err := loadTemplate(t).Deploy(map[string]string{deployment.EnableSecurityHubParameter.Name: securityHub})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const (
	samFunction      = "GuardrailFunction"
	samRole          = "GuardrailRole"
	samTopic         = "FindingsTopic"
	samKey           = "TopicKey"
	samDLQ           = "DeadLetterQueue"
	samRecheck       = "RecheckQueue"
	samRecheckDLQ    = "RecheckDeadLetterQueue"
	samLogs          = "FunctionLogGroup"
	samDelivery      = "DeliveryTable"
	samNoticeWindows = "NoticeWindowTable"
)

func TestSAMFunction(t *testing.T) {
	d := deploySAM(t, "false")
	fn := d.Resources[d.ID(t, "AWS::Serverless::Function", samFunction)]
	p := fn.Properties
	if p["Runtime"] != deployment.Runtime || p["Handler"] != deployment.Handler || cfntest.JSON(p["Architectures"]) != cfntest.JSON([]any{deployment.Architecture}) {
		t.Errorf("function runtime/handler/architectures = %v %v %v", p["Runtime"], p["Handler"], p["Architectures"])
	}
	if fn.Metadata["BuildMethod"] != "makefile" {
		t.Errorf("Metadata.BuildMethod = %v; want makefile (Makefile target build-GuardrailFunction)", fn.Metadata["BuildMethod"])
	}
	if p["Timeout"] != float64(deployment.TimeoutSec) || p["MemorySize"] != float64(deployment.MemoryMB) {
		t.Errorf("Timeout/MemorySize = %v/%v", p["Timeout"], p["MemorySize"])
	}
	if p["Description"] != deployment.FunctionDescription() {
		t.Errorf("Description = %q; want %q", p["Description"], deployment.FunctionDescription())
	}
	if p["DeadLetterQueue"] == nil {
		t.Error("the function has no dead-letter queue for failed asynchronous invocations")
	}
}

func TestSAMEnvironment(t *testing.T) {
	d := deploySAM(t, "false")
	env, _ := d.Resources[samFunction].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		deployment.EnvTopicARN:          cfntest.Ref(samTopic),
		deployment.EnvPolicy:            cfntest.Ref("PolicyJson"),
		deployment.EnvRecheckQueueURL:   cfntest.Ref(samRecheck),
		deployment.EnvRecheckDeadline:   cfntest.Ref(deployment.RecheckDeadlineParameter.Name),
		deployment.EnvSecurityHub:       cfntest.Ref(deployment.EnableSecurityHubParameter.Name),
		deployment.EnvDeliveryTable:     cfntest.Ref(samDelivery),
		deployment.EnvEventBus:          deployment.SAMEventBus,
		deployment.EnvNoticeWindowTable: cfntest.Ref(samNoticeWindows),
	}
	if cfntest.JSON(env) != cfntest.JSON(want) {
		t.Errorf("environment %s\nwant %s", cfntest.JSON(env), cfntest.JSON(want))
	}
}

// The function's two event sources: the EventBridge rule with the shared
// pattern, and the re-check queue's mapping.
func TestSAMEvents(t *testing.T) {
	d := deploySAM(t, "false")
	events, _ := d.Resources[samFunction].Properties["Events"].(map[string]any)
	var types []string
	for name, e := range events {
		ev := e.(map[string]any)
		props, _ := ev["Properties"].(map[string]any)
		types = append(types, ev["Type"].(string))
		switch ev["Type"] {
		case "EventBridgeRule":
			if !reflect.DeepEqual(props["Pattern"], deployment.EventPattern()) {
				t.Errorf("%s: event pattern\n%v\nwant\n%v", name, props["Pattern"], deployment.EventPattern())
			}
			if props["DeadLetterConfig"] == nil || props["RetryPolicy"] == nil {
				t.Errorf("%s: the EventBridge rule has no dead-letter queue or retry policy: %v", name, props)
			}
		case "SQS":
			want := map[string]any{
				"Queue":                 cfntest.GetAtt(samRecheck, "Arn"),
				"BatchSize":             float64(deployment.RecheckBatchSize),
				"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			}
			if cfntest.JSON(props) != cfntest.JSON(want) {
				t.Errorf("%s: %s\nwant %s", name, cfntest.JSON(props), cfntest.JSON(want))
			}
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{"EventBridgeRule", "SQS"}) {
		t.Errorf("event sources %v; want one EventBridgeRule and one SQS", types)
	}
}

func TestSAMParameters(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, p := range []deployment.Parameter{deployment.RecheckDeadlineParameter, deployment.EnableSecurityHubParameter} {
		t.Run(p.Name, func(t *testing.T) { cfntest.CheckParameter(t, tmpl, p) })
	}
	for _, n := range deployment.EventNames {
		if !strings.Contains(tmpl.Description, n) {
			t.Errorf("the template's description does not name %s", n)
		}
	}
}

func TestSAMRecheckQueue(t *testing.T) {
	d := deploySAM(t, "false")
	d.CheckRecheckQueues(t, d.ID(t, "AWS::SQS::Queue", samRecheck), d.ID(t, "AWS::SQS::Queue", samRecheckDLQ))
	d.CheckRecheckSenders(t, samRecheck, cfntest.GetAtt(samRole, "Arn"))
}

func TestSAMDeliveryTable(t *testing.T) {
	d := deploySAM(t, "false")
	d.CheckDeliveryTable(t, d.ID(t, "AWS::DynamoDB::Table", samDelivery))
}

// The function's role, exactly, with Security Hub off and on: the engine's
// reads on "*", and everything else on its own resource only.
func TestSAMPermissions(t *testing.T) {
	for _, on := range []string{"false", "true"} {
		t.Run("EnableSecurityHub="+on, func(t *testing.T) {
			d := deploySAM(t, on)
			stmts, err := d.RoleStatements(samRole)
			if err != nil {
				t.Fatal(err)
			}
			got := cfntest.Grants(stmts)
			want := cfntest.FunctionGrants(on == "true", cfntest.FunctionResources{
				Topic: cfntest.Ref(samTopic), Key: cfntest.GetAtt(samKey, "Arn"), Logs: cfntest.Sub("${" + samLogs + ".Arn}"),
				DeadLetters: cfntest.GetAtt(samDLQ, "Arn"), Recheck: cfntest.GetAtt(samRecheck, "Arn"),
				Delivery: cfntest.GetAtt(samDelivery, "Arn"),
				EventBus: cfntest.Sub(deployment.SAMEventBusARNSub), NoticeWindows: cfntest.GetAtt(samNoticeWindows, "Arn"),
			})
			if !slices.Equal(got, want) {
				t.Errorf("the function's role allows\n%s\nwant\n%s", cfntest.Lines(got), cfntest.Lines(want))
			}
		})
	}
}

func TestSAMAlarms(t *testing.T) {
	d := deploySAM(t, "false")
	d.CheckAlarms(t, map[deployment.Watched]any{
		deployment.WatchFunction:           cfntest.Ref(samFunction),
		deployment.WatchDeadLetters:        cfntest.GetAtt(samDLQ, "QueueName"),
		deployment.WatchRecheckQueue:       cfntest.GetAtt(samRecheck, "QueueName"),
		deployment.WatchRecheckDeadLetters: cfntest.GetAtt(samRecheckDLQ, "QueueName"),
	}, cfntest.Ref(samTopic))
}

func TestSAMEncryption(t *testing.T) {
	d := deploySAM(t, "false")
	if d.Resources[d.ID(t, "AWS::SNS::Topic", samTopic)].Properties["KmsMasterKeyId"] == nil {
		t.Error("the topic is not encrypted")
	}
	for _, q := range d.OfType("AWS::SQS::Queue") {
		if p := d.Resources[q].Properties; p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted", q)
		}
	}
	if d.Resources[d.ID(t, "AWS::KMS::Key", samKey)].Properties["EnableKeyRotation"] != true {
		t.Error("the topic key does not rotate")
	}
	d.CheckAlarmsMayUseTopic(t, samKey, samTopic)
}

// cfn-lint (with the SAM translator) when the machine has it.
func TestCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("cfn-lint takes seconds; run without -short (make test, CI)")
	}
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	out, err := exec.Command(path, "../../template.yaml").CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func TestSAMNoticeWindowTable(t *testing.T) {
	d := deploySAM(t, "false")
	d.CheckNoticeWindowTable(t, d.ID(t, "AWS::DynamoDB::Table", samNoticeWindows))
}
