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
	"github.com/ebsguard/ebsguard/internal/deployment/cfntest"
)

var (
	central, member         awscdk.Stack
	centralTmpl, memberTmpl *cfntest.Template
)

func TestMain(m *testing.M) {
	// One app and one synthesis for every test: each start of the jsii
	// node process costs seconds.
	dir, err := os.MkdirTemp("", "ebsguard-asset")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("stand-in for the bootstrap make build writes"), 0o755)
	central, member = newApp(awscdk.NewApp(nil), dir)
	for _, s := range []struct {
		stack awscdk.Stack
		tmpl  **cfntest.Template
	}{{central, &centralTmpl}, {member, &memberTmpl}} {
		b, err := json.Marshal(assertions.Template_FromStack(s.stack, nil).ToJSON())
		if err == nil {
			*s.tmpl, err = cfntest.Parse(b)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// deployCentral is the central template as deployed with the Security Hub option.
func deployCentral(t *testing.T, securityHub string) *cfntest.Deployment {
	t.Helper()
	d, err := centralTmpl.Deploy(map[string]string{deployment.EnableSecurityHubParameter.Name: securityHub})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// deployMember is the member template as a stack instance in region deploys it.
func deployMember(t *testing.T, region, auditor string) *cfntest.Deployment {
	t.Helper()
	d, err := memberTmpl.Deploy(map[string]string{
		"AWS::Region": region, "ReaderRoleRegion": "us-east-1", deployment.AuditorRoleParameter.Name: auditor,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// GIVEN the app WHEN synthesized THEN every rule matches the shared pattern
// and says which events it routes.
func TestEventPattern(t *testing.T) {
	for name, d := range map[string]*cfntest.Deployment{"central": deployCentral(t, "false"), "member": deployMember(t, "us-east-1", "")} {
		rules := d.OfType("AWS::Events::Rule")
		if want := map[string]int{"central": 2, "member": 1}[name]; len(rules) != want {
			t.Errorf("%s: %d rules; want %d", name, len(rules), want)
		}
		for _, id := range rules {
			r := d.Resources[id].Properties
			if !reflect.DeepEqual(r["EventPattern"], deployment.EventPattern()) {
				t.Errorf("%s: %s: pattern %v; want %v", name, id, r["EventPattern"], deployment.EventPattern())
			}
			if desc, _ := r["Description"].(string); !strings.Contains(desc, deployment.EventList()) {
				t.Errorf("%s: %s: description %q does not name %s", name, id, desc, deployment.EventList())
			}
		}
	}
}

func TestFunction(t *testing.T) {
	d := deployCentral(t, "false")
	fn := d.Resources[d.ID(t, "AWS::Lambda::Function", "Function")].Properties
	if fn["Runtime"] != deployment.Runtime || cfntest.JSON(fn["Architectures"]) != cfntest.JSON([]any{deployment.Architecture}) || fn["Handler"] != deployment.Handler {
		t.Errorf("runtime %v, architectures %v, handler %v", fn["Runtime"], fn["Architectures"], fn["Handler"])
	}
	if fn["Timeout"] != float64(deployment.TimeoutSec) || fn["MemorySize"] != float64(deployment.MemoryMB) {
		t.Errorf("Timeout/MemorySize = %v/%v", fn["Timeout"], fn["MemorySize"])
	}
	if fn["Description"] != deployment.FunctionDescription() {
		t.Errorf("Description = %q; want %q", fn["Description"], deployment.FunctionDescription())
	}
	if fn["DeadLetterConfig"] == nil {
		t.Error("the function has no dead-letter queue")
	}
	if lc, _ := fn["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" {
		t.Errorf("LoggingConfig = %v", fn["LoggingConfig"])
	}
	for _, id := range d.OfType("AWS::Logs::LogGroup") {
		if d.Resources[id].Properties["RetentionInDays"] == nil {
			t.Errorf("log group %s without retention", id)
		}
	}
	for _, id := range d.OfType("AWS::Events::Rule") {
		for _, tg := range d.Resources[id].Properties["Targets"].([]any) {
			target := tg.(map[string]any)
			if target["DeadLetterConfig"] == nil || target["RetryPolicy"] == nil {
				t.Errorf("rule %s: target without dead-letter queue or retry policy: %v", id, target)
			}
		}
	}
}

func TestEnvironment(t *testing.T) {
	d := deployCentral(t, "false")
	fn := d.Resources[d.ID(t, "AWS::Lambda::Function", "Function")].Properties
	env, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		deployment.EnvTopicARN:          cfntest.Ref(d.ID(t, "AWS::SNS::Topic", "Findings")),
		deployment.EnvPolicy:            cfntest.Ref("PolicyJson"),
		deployment.EnvReaderRole:        deployment.ReaderRoleName,
		deployment.EnvRecheckQueueURL:   cfntest.Ref(d.ID(t, "AWS::SQS::Queue", "Recheck")),
		deployment.EnvRecheckDeadline:   cfntest.Ref(deployment.RecheckDeadlineParameter.Name),
		deployment.EnvSecurityHub:       cfntest.Ref(deployment.EnableSecurityHubParameter.Name),
		deployment.EnvDeliveryTable:     cfntest.Ref(d.ID(t, "AWS::DynamoDB::Table", "Deliveries")),
		deployment.EnvEventBus:          cfntest.Ref(d.ID(t, "AWS::Events::EventBus", "Bus")),
		deployment.EnvNoticeWindowTable: cfntest.Ref(d.ID(t, "AWS::DynamoDB::Table", "NoticeWindows")),
	}
	if cfntest.JSON(env) != cfntest.JSON(want) {
		t.Errorf("environment %s\nwant %s", cfntest.JSON(env), cfntest.JSON(want))
	}
}

func TestParameters(t *testing.T) {
	for _, p := range []deployment.Parameter{deployment.RecheckDeadlineParameter, deployment.EnableSecurityHubParameter} {
		t.Run("central/"+p.Name, func(t *testing.T) { cfntest.CheckParameter(t, centralTmpl, p) })
	}
	t.Run("member/"+deployment.AuditorRoleParameter.Name, func(t *testing.T) {
		cfntest.CheckParameter(t, memberTmpl, deployment.AuditorRoleParameter)
	})
}

// The re-check queue, its dead-letter queue, and the function consuming it.
func TestRecheckQueue(t *testing.T) {
	d := deployCentral(t, "false")
	queue := d.ID(t, "AWS::SQS::Queue", "Recheck")
	d.CheckRecheckQueues(t, queue, d.ID(t, "AWS::SQS::Queue", "RecheckDeadLetters"))
	d.CheckRecheckSenders(t, queue, cfntest.GetAtt(d.ID(t, "AWS::IAM::Role", "FunctionRole"), "Arn"))
	mapping := d.Resources[d.ID(t, "AWS::Lambda::EventSourceMapping", "RecheckMapping")].Properties
	want := map[string]any{
		"FunctionName":          cfntest.Ref(d.ID(t, "AWS::Lambda::Function", "Function")),
		"EventSourceArn":        cfntest.GetAtt(queue, "Arn"),
		"BatchSize":             float64(deployment.RecheckBatchSize),
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
	}
	if cfntest.JSON(mapping) != cfntest.JSON(want) {
		t.Errorf("event source mapping %s\nwant %s", cfntest.JSON(mapping), cfntest.JSON(want))
	}
}

// The function's role, exactly, with Security Hub off and on.
func TestFunctionPermissions(t *testing.T) {
	for _, on := range []string{"false", "true"} {
		t.Run("EnableSecurityHub="+on, func(t *testing.T) {
			d := deployCentral(t, on)
			stmts, err := d.RoleStatements(d.ID(t, "AWS::IAM::Role", "FunctionRole"))
			if err != nil {
				t.Fatal(err)
			}
			readerARN := map[string]any{"Fn::Join": []any{"", []any{"arn:", cfntest.Ref("AWS::Partition"), ":iam::*:role/" + deployment.ReaderRoleName}}}
			want := cfntest.FunctionGrants(on == "true", cfntest.FunctionResources{
				Topic:         cfntest.Ref(d.ID(t, "AWS::SNS::Topic", "Findings")),
				Key:           cfntest.GetAtt(d.ID(t, "AWS::KMS::Key", "TopicKey"), "Arn"),
				Logs:          cfntest.GetAtt(d.ID(t, "AWS::Logs::LogGroup", "FunctionLogs"), "Arn"),
				DeadLetters:   cfntest.GetAtt(d.ID(t, "AWS::SQS::Queue", "DeadLetters"), "Arn"),
				Recheck:       cfntest.GetAtt(d.ID(t, "AWS::SQS::Queue", "Recheck"), "Arn"),
				Delivery:      cfntest.GetAtt(d.ID(t, "AWS::DynamoDB::Table", "Deliveries"), "Arn"),
				AssumeReader:  readerARN,
				EventBus:      cfntest.GetAtt(d.ID(t, "AWS::Events::EventBus", "Bus"), "Arn"),
				NoticeWindows: cfntest.GetAtt(d.ID(t, "AWS::DynamoDB::Table", "NoticeWindows"), "Arn"),
			})
			if got := cfntest.Grants(stmts); !slices.Equal(got, want) {
				t.Errorf("the function's role allows\n%s\nwant\n%s", cfntest.Lines(got), cfntest.Lines(want))
			}
			// Only reader roles within the organization.
			for _, s := range stmts {
				if slices.Contains(s.Action, "sts:AssumeRole") &&
					cfntest.JSON(s.Condition) != cfntest.JSON(map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": cfntest.Ref("OrganizationId")}}) {
					t.Errorf("sts:AssumeRole under condition %s", cfntest.JSON(s.Condition))
				}
			}
		})
	}
}

// The reader role: only in ReaderRoleRegion, exactly the engine's and the
// audit's reads, trusted by the central function's role and, when given,
// the auditor role, both within the organization.
func TestReaderRole(t *testing.T) {
	central := `{"Ref":"CentralFunctionRoleArn"}`
	auditor := `{"Ref":"` + deployment.AuditorRoleParameter.Name + `"}`
	tests := []struct {
		name, region, auditor string
		role                  string
		trusted               []string // nil: no such role
		actions               []string
	}{
		{"reader in the role region", "us-east-1", "", deployment.ReaderRoleName, []string{central}, deployment.ReaderRoleActions()},
		{"reader, auditor set", "us-east-1", "arn:aws:iam::111111111111:role/secops", deployment.ReaderRoleName, []string{central}, deployment.ReaderRoleActions()},
		{"reader in another region", "eu-west-1", "arn:aws:iam::111111111111:role/secops", deployment.ReaderRoleName, nil, nil},
		{"no auditor", "us-east-1", "", deployment.AuditorRoleName, nil, nil},
		{"auditor", "us-east-1", "arn:aws:iam::111111111111:role/secops", deployment.AuditorRoleName, []string{auditor}, deployment.AuditorRoleActions()},
		{"auditor in another region", "eu-west-1", "arn:aws:iam::111111111111:role/secops", deployment.AuditorRoleName, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deployMember(t, tt.region, tt.auditor)
			var roles []string
			for _, id := range d.OfType("AWS::IAM::Role") {
				if d.Resources[id].Properties["RoleName"] == tt.role {
					roles = append(roles, id)
				}
			}
			if tt.trusted == nil {
				if len(roles) != 0 {
					t.Errorf("role %v deployed; want none", roles)
				}
				return
			}
			if len(roles) != 1 {
				t.Fatalf("roles %v; want one", roles)
			}
			stmts, err := d.RoleStatements(roles[0])
			if err != nil {
				t.Fatal(err)
			}
			var want []cfntest.Grant
			for _, a := range tt.actions {
				want = append(want, cfntest.Grant{Action: a, Resource: `"*"`})
			}
			if got := cfntest.Grants(stmts); !slices.Equal(got, want) {
				t.Errorf("the role allows\n%s\nwant\n%s", cfntest.Lines(got), cfntest.Lines(want))
			}
			principals, conditions := d.TrustedPrincipals(t, roles[0])
			if !slices.Equal(principals, tt.trusted) {
				t.Errorf("trusted %v; want %v", principals, tt.trusted)
			}
			org := cfntest.JSON(map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": cfntest.Ref("OrganizationId")}})
			for _, c := range conditions {
				if cfntest.JSON(c) != org {
					t.Errorf("trust condition %s; want %s", cfntest.JSON(c), org)
				}
			}
		})
	}
}

func TestDeliveryTable(t *testing.T) {
	d := deployCentral(t, "false")
	d.CheckDeliveryTable(t, d.ID(t, "AWS::DynamoDB::Table", "Deliveries"))
}

// No wildcard action anywhere, whichever conditions hold.
func TestNoWildcardActions(t *testing.T) {
	for name, d := range map[string]*cfntest.Deployment{
		"central": deployCentral(t, "true"), "member": deployMember(t, "us-east-1", "arn:aws:iam::111111111111:role/secops"),
	} {
		for _, id := range d.OfType("AWS::IAM::Role") {
			stmts, err := d.RoleStatements(id)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range cfntest.Grants(stmts) {
				if strings.Contains(g.Action, "*") {
					t.Errorf("%s: role %s: wildcard action %s", name, id, g.Action)
				}
			}
		}
	}
}

func TestAlarms(t *testing.T) {
	d := deployCentral(t, "false")
	d.CheckAlarms(t, map[deployment.Watched]any{
		deployment.WatchFunction:           cfntest.Ref(d.ID(t, "AWS::Lambda::Function", "Function")),
		deployment.WatchDeadLetters:        cfntest.GetAtt(d.ID(t, "AWS::SQS::Queue", "DeadLetters"), "QueueName"),
		deployment.WatchRecheckQueue:       cfntest.GetAtt(d.ID(t, "AWS::SQS::Queue", "Recheck"), "QueueName"),
		deployment.WatchRecheckDeadLetters: cfntest.GetAtt(d.ID(t, "AWS::SQS::Queue", "RecheckDeadLetters"), "QueueName"),
	}, cfntest.Ref(d.ID(t, "AWS::SNS::Topic", "Findings")))
}

func TestEncryptionAndBusPolicy(t *testing.T) {
	d := deployCentral(t, "false")
	topic := d.ID(t, "AWS::SNS::Topic", "Findings")
	if d.Resources[topic].Properties["KmsMasterKeyId"] == nil {
		t.Error("topic not encrypted")
	}
	for _, id := range d.OfType("AWS::SQS::Queue") {
		if q := d.Resources[id].Properties; q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s not encrypted", id)
		}
	}
	var tls bool
	for _, id := range d.OfType("AWS::SNS::TopicPolicy") {
		tls = tls || strings.Contains(cfntest.JSON(d.Resources[id].Properties), `"aws:SecureTransport":"false"`)
	}
	if !tls {
		t.Error("the topic policy does not deny non-TLS requests")
	}
	d.CheckAlarmsMayUseTopic(t, d.ID(t, "AWS::KMS::Key", "TopicKey"), topic)
	policies := d.OfType("AWS::Events::EventBusPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d bus policies; want 1", len(policies))
	}
	b := cfntest.JSON(d.Resources[policies[0]].Properties)
	if !strings.Contains(b, "aws:PrincipalOrgID") || !strings.Contains(b, "OrganizationId") {
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

func TestNoticeWindowTable(t *testing.T) {
	d := deployCentral(t, "false")
	d.CheckNoticeWindowTable(t, d.ID(t, "AWS::DynamoDB::Table", "NoticeWindows"))
}
