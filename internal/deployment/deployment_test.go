package deployment_test

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The exact sets each role is allowed.
func TestActions(t *testing.T) {
	engine := verify.ReadActions() // held to the interfaces below
	auditor := append([]string{"cloudtrail:LookupEvents"}, engine...)
	tests := []struct {
		name      string
		got, want []string
	}{
		{"engine", deployment.EngineReadActions, engine},
		{"reader role", deployment.ReaderRoleActions(), engine},
		{"auditor role", deployment.AuditorRoleActions(), auditor},
		{"re-check send", deployment.RecheckSendActions, []string{"sqs:SendMessage"}},
		{"re-check consume", deployment.RecheckConsumeActions, []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}},
		{"security hub", deployment.SecurityHubActions, []string{"securityhub:BatchImportFindings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.got, tt.want) {
				t.Errorf("%v\nwant %v", tt.got, tt.want)
			}
		})
	}
}

// The engine's read actions are exactly the calls of the interfaces every
// event kind is evaluated through, each method one action and each action
// one method: a new call (or one dropped) changes the roles with no further
// line. Every one is a read.
func TestEngineActionsAreTheEngineCalls(t *testing.T) {
	methods := map[string]bool{}
	for prefix, iface := range map[string]reflect.Type{
		"ec2": reflect.TypeFor[verify.EC2API](),
		"kms": reflect.TypeFor[verify.KMSAPI](),
	} {
		for i := range iface.NumMethod() {
			methods[prefix+":"+iface.Method(i).Name] = true
		}
	}
	actions := map[string]bool{}
	for _, a := range deployment.EngineReadActions {
		if actions[a] {
			t.Errorf("action %s granted twice", a)
		}
		actions[a] = true
		if !methods[a] {
			t.Errorf("action %s has no method in verify.EC2API or verify.KMSAPI", a)
		}
		_, op, _ := strings.Cut(a, ":")
		if !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") {
			t.Errorf("action %s is not a read (Describe*, Get*, List*): the engine only reads", a)
		}
	}
	for m := range methods {
		if !actions[m] {
			t.Errorf("method %s has no action in EngineReadActions", m)
		}
	}
}

func TestSecurityHubProductARN(t *testing.T) {
	got := deployment.SecurityHubProductARN("aws-us-gov", "us-gov-west-1", "111111111111")
	if want := "arn:aws-us-gov:securityhub:us-gov-west-1:111111111111:product/111111111111/default"; got != want {
		t.Errorf("%s; want %s", got, want)
	}
	if want := "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"; deployment.SecurityHubProductARNSub != want {
		t.Errorf("Sub form %s; want %s", deployment.SecurityHubProductARNSub, want)
	}
}

// The re-check queue's numbers keep the relations their comments promise.
func TestRecheckSettings(t *testing.T) {
	deadline, err := time.ParseDuration(deployment.DefaultRecheckDeadline)
	if err != nil {
		t.Fatal(err)
	}
	retention := time.Duration(deployment.RecheckRetentionSec) * time.Second
	checks := []struct {
		name string
		ok   bool
	}{
		{"visibility at least six times the function's timeout", deployment.RecheckVisibilitySec >= 6*deployment.TimeoutSec},
		{"retention at least the default deadline plus a day", retention >= deadline+24*time.Hour},
		{"retention at least the longest deadline plus a day", retention >= deployment.MaxRecheckDeadline+24*time.Hour},
		{"the longest deadline outlasts CopyImage's 48-hour window", deployment.MaxRecheckDeadline > deadline},
		{"retention within SQS's 14 days", retention <= 14*24*time.Hour},
		{"dead letters kept as long as the queue keeps messages", deployment.RecheckDeadLetterRetentionSec >= deployment.RecheckRetentionSec},
		{"maxReceiveCount at least 5 for a Lambda consumer", deployment.RecheckMaxReceiveCount >= 5},
		{"batch size small, within SQS's 10", deployment.RecheckBatchSize >= 1 && deployment.RecheckBatchSize <= 10},
		{"delay within SQS's 900 seconds", deployment.MaxRecheckDelay <= 900*time.Second},
		{"age alarm above the longest delay", time.Duration(deployment.RecheckAgeThresholdSec)*time.Second > deployment.MaxRecheckDelay},
	}
	for _, c := range checks {
		if !c.ok {
			t.Error(c.name)
		}
	}
}

// RecheckDeadline's AllowedPattern admits exactly Go durations CloudFormation
// should pass on: what time.ParseDuration reads, without a sign.
func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(deployment.DurationPattern)
	tests := []struct {
		in string
		ok bool
	}{
		{deployment.DefaultRecheckDeadline, true},
		{"49h", true},
		{"1h30m", true},
		{"90m", true},
		{"1.5h", true},
		{"312h", true},
		{"500ms", true},
		{"", false},
		{"2d", false},
		{"49 h", false},
		{"-1h", false},
		{"h", false},
		{"49", false},
		{"49h ", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := re.MatchString(tt.in); got != tt.ok {
				t.Errorf("pattern matches %q: %v; want %v", tt.in, got, tt.ok)
			}
			if _, err := time.ParseDuration(tt.in); tt.ok && err != nil {
				t.Errorf("the pattern admits %q, which Go rejects: %v", tt.in, err)
			}
		})
	}
}

func TestEventDescriptions(t *testing.T) {
	// Every kind of the registry, in its order, the last after "and" (the
	// settings calls are named apart).
	var names []string
	for _, k := range rules.Kinds() {
		names = append(names, k.EventName)
	}
	list := deployment.EventList()
	rest := list
	for i, n := range names {
		sep := ", "
		switch {
		case i == 0:
			sep = ""
		case i == len(names)-1:
			sep = " and "
		}
		if !strings.HasPrefix(rest, sep+n) {
			t.Fatalf("EventList = %q; want the registry's %v in order", list, names)
		}
		rest = rest[len(sep+n):]
	}
	if rest != "" {
		t.Errorf("EventList = %q ends with %q beyond the registry's kinds", list, rest)
	}
	if n := len(deployment.FunctionDescription()); n > deployment.MaxFunctionDescription {
		t.Errorf("function description of %d characters; Lambda allows 256", n)
	}
}

func TestAlarms(t *testing.T) {
	ids := map[string]bool{}
	var verdicts bool
	for _, a := range deployment.Alarms {
		t.Run(a.ID, func(t *testing.T) {
			if ids[a.ID] {
				t.Error("duplicate ID")
			}
			ids[a.ID] = true
			if (a.DimensionValue == "") == (a.Of == "") {
				t.Errorf("dimension value %q and resource %q: want exactly one", a.DimensionValue, a.Of)
			}
			if a.Description == "" || a.PeriodSec <= 0 || a.Threshold <= 0 {
				t.Errorf("incomplete alarm %+v", a)
			}
		})
		if a.Namespace == deployment.MetricsNamespace && a.Metric == deployment.MetricVerdicts &&
			a.Dimension == deployment.DimensionStatus && a.DimensionValue == "error" && a.Statistic == "Sum" && a.Threshold == 1 {
			verdicts = true
		}
	}
	if !verdicts {
		t.Error("no alarm on the sum of error verdicts")
	}
	for _, w := range []deployment.Watched{deployment.WatchFunction, deployment.WatchDeadLetters, deployment.WatchRecheckQueue, deployment.WatchRecheckDeadLetters} {
		if !slices.ContainsFunc(deployment.Alarms, func(a deployment.Alarm) bool { return a.Of == w }) {
			t.Errorf("nothing watches %s", w)
		}
	}
}
