package cfntest

import (
	"regexp"
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
)

// The checks below hold both deployments to internal/deployment the same
// way; each test names its own resources.

// Ref, GetAtt and Sub are the intrinsic functions as a parsed template holds them.
func Ref(id string) any          { return map[string]any{"Ref": id} }
func GetAtt(id, attr string) any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func Sub(s string) any           { return map[string]any{"Fn::Sub": s} }
func anys(a ...any) []any        { return a }

// equal compares parsed JSON values: their JSON encodings sort map keys.
func equal(a, b any) bool { return JSON(a) == JSON(b) }

var cdkHash = regexp.MustCompile(`^[0-9A-F]{8}$`)

// ID returns the logical ID of the one resource of type typ named id: id
// itself (SAM), or id followed by the hash CDK appends.
func (d *Deployment) ID(t testing.TB, typ, id string) string {
	t.Helper()
	var found []string
	for _, got := range d.OfType(typ) {
		if got == id || len(got) == len(id)+8 && got[:len(id)] == id && cdkHash.MatchString(got[len(id):]) {
			found = append(found, got)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s: found %v", typ, id, found)
	}
	return found[0]
}

// CheckParameter asserts that a template declares p as internal/deployment does.
func CheckParameter(t testing.TB, tmpl *Template, p deployment.Parameter) {
	t.Helper()
	got, ok := tmpl.Parameters[p.Name]
	if !ok {
		t.Errorf("no parameter %s", p.Name)
		return
	}
	if got.Type != "String" || got.Description != p.Description || got.AllowedPattern != p.AllowedPattern ||
		!slices.Equal(got.AllowedValues, p.AllowedValues) || got.Default != any(p.Default) {
		t.Errorf("parameter %s = %+v; want %+v", p.Name, got, p)
	}
}

// CheckRecheckQueues asserts the re-check queue's and its dead-letter
// queue's settings, and that both refuse requests without TLS.
func (d *Deployment) CheckRecheckQueues(t testing.TB, queueID, deadLettersID string) {
	t.Helper()
	q := d.Resources[queueID].Properties
	want := map[string]any{
		"SqsManagedSseEnabled":   true,
		"MessageRetentionPeriod": float64(deployment.RecheckRetentionSec),
		"VisibilityTimeout":      float64(deployment.RecheckVisibilitySec),
		"RedrivePolicy": map[string]any{
			"deadLetterTargetArn": GetAtt(deadLettersID, "Arn"),
			"maxReceiveCount":     float64(deployment.RecheckMaxReceiveCount),
		},
	}
	if !equal(q, want) {
		t.Errorf("re-check queue %s:\n%s\nwant\n%s", queueID, JSON(q), JSON(want))
	}
	dl := d.Resources[deadLettersID].Properties
	wantDL := map[string]any{"SqsManagedSseEnabled": true, "MessageRetentionPeriod": float64(deployment.RecheckDeadLetterRetentionSec)}
	if !equal(dl, wantDL) {
		t.Errorf("re-check dead-letter queue %s: %s; want %s", deadLettersID, JSON(dl), JSON(wantDL))
	}
	for _, id := range []string{queueID, deadLettersID} {
		if !d.deniesInsecureTransport(id) {
			t.Errorf("queue %s: no queue policy denies requests without TLS", id)
		}
	}
}

func (d *Deployment) deniesInsecureTransport(queueID string) bool {
	for _, pid := range d.OfType("AWS::SQS::QueuePolicy") {
		p := d.Resources[pid].Properties
		if !slices.ContainsFunc(list(p["Queues"]), func(q any) bool { return equal(q, Ref(queueID)) }) {
			continue
		}
		stmts, _ := Statements(p["PolicyDocument"])
		for _, s := range stmts {
			anyone := equal(s.Principal, "*") || equal(s.Principal, map[string]any{"AWS": "*"})
			if s.Effect == "Deny" && anyone && slices.Contains(s.Action, "sqs:*") &&
				slices.ContainsFunc(s.Resource, func(r any) bool { return equal(r, GetAtt(queueID, "Arn")) }) &&
				equal(s.Condition, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				return true
			}
		}
	}
	return false
}

// CheckAlarms asserts that the deployment's alarms are exactly
// deployment.Alarms, each watching its resource (watched gives the value
// each deployment names it by) and notifying the topic.
func (d *Deployment) CheckAlarms(t testing.TB, watched map[deployment.Watched]any, topic any) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range deployment.Alarms {
		id := d.ID(t, "AWS::CloudWatch::Alarm", a.ID)
		seen[id] = true
		var value any = a.DimensionValue
		if a.DimensionValue == "" {
			value = watched[a.Of]
		}
		want := map[string]any{
			"AlarmDescription":   a.Description,
			"Namespace":          a.Namespace,
			"MetricName":         a.Metric,
			"Dimensions":         anys(map[string]any{"Name": a.Dimension, "Value": value}),
			"Statistic":          a.Statistic,
			"Period":             float64(a.PeriodSec),
			"EvaluationPeriods":  float64(deployment.AlarmEvaluationPeriods),
			"Threshold":          a.Threshold,
			"ComparisonOperator": deployment.AlarmComparison,
			"TreatMissingData":   deployment.AlarmMissingData,
			"AlarmActions":       anys(topic),
		}
		if got := d.Resources[id].Properties; !equal(got, want) {
			t.Errorf("alarm %s:\n%s\nwant\n%s", id, JSON(got), JSON(want))
		}
	}
	for _, id := range d.OfType("AWS::CloudWatch::Alarm") {
		if !seen[id] {
			t.Errorf("alarm %s is not in deployment.Alarms", id)
		}
	}
}

// CheckAlarmsMayUseTopic asserts that CloudWatch may publish to the topic
// and use its key only on behalf of this account's alarms.
func (d *Deployment) CheckAlarmsMayUseTopic(t testing.TB, keyID, topicID string) {
	t.Helper()
	thisAccount := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": Ref("AWS::AccountId")}}
	cloudwatch := map[string]any{"Service": "cloudwatch.amazonaws.com"}
	keyStmts, err := Statements(d.Resources[keyID].Properties["KeyPolicy"])
	if err != nil {
		t.Fatal(err)
	}
	var topicStmts []Statement
	for _, pid := range d.OfType("AWS::SNS::TopicPolicy") {
		p := d.Resources[pid].Properties
		if slices.ContainsFunc(list(p["Topics"]), func(x any) bool { return equal(x, Ref(topicID)) }) {
			s, err := Statements(p["PolicyDocument"])
			if err != nil {
				t.Fatal(err)
			}
			topicStmts = append(topicStmts, s...)
		}
	}
	for name, stmts := range map[string][]Statement{"key policy": keyStmts, "topic policy": topicStmts} {
		n := 0
		for _, s := range stmts {
			if s.Effect != "Allow" || !equal(s.Principal, cloudwatch) {
				continue
			}
			n++
			if !equal(s.Condition, thisAccount) {
				t.Errorf("%s: CloudWatch's statement %q has condition %s; want %s", name, s.Sid, JSON(s.Condition), JSON(thisAccount))
			}
		}
		if n == 0 {
			t.Errorf("%s: CloudWatch alarms may not use it", name)
		}
	}
}

// TrustedPrincipals returns the AWS principals a role's trust policy
// allows, with the statement's condition.
func (d *Deployment) TrustedPrincipals(t testing.TB, roleID string) (principals []string, conditions []map[string]any) {
	t.Helper()
	stmts, err := Statements(d.Resources[roleID].Properties["AssumeRolePolicyDocument"])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		p, _ := s.Principal.(map[string]any)
		if s.Effect != "Allow" || !slices.Contains(s.Action, "sts:AssumeRole") {
			continue
		}
		for _, a := range list(p["AWS"]) {
			principals = append(principals, JSON(a))
		}
		conditions = append(conditions, s.Condition)
	}
	return principals, conditions
}

// FunctionResources are how a template names what the function's role is
// granted on.
type FunctionResources struct {
	Topic, Key, Logs, DeadLetters, Recheck any
	// Delivery is the delivery table's ARN.
	Delivery any
	// EventBus is the bus finding events are put on (the only resource of
	// events:PutEvents).
	EventBus any
	// NoticeWindows is the notice windows' table.
	NoticeWindows any
	// AssumeReader is the reader roles' ARN pattern; nil where the function
	// watches its own account only (SAM).
	AssumeReader any
}

// FunctionGrants is exactly what the function's role may do: the engine's
// reads on "*", everything else on its own resource only, and Security Hub
// imports only when that option is on. Never cloudtrail:LookupEvents.
func FunctionGrants(securityHub bool, r FunctionResources) []Grant {
	stmt := func(resource any, actions ...string) Statement {
		return Statement{Effect: "Allow", Action: actions, Resource: []any{resource}}
	}
	stmts := []Statement{
		stmt("*", deployment.EngineReadActions...),
		stmt(r.Topic, "sns:Publish"),
		stmt(r.Key, "kms:Decrypt", "kms:GenerateDataKey"),
		stmt(r.Logs, "logs:CreateLogStream", "logs:PutLogEvents"),
		stmt(r.DeadLetters, "sqs:SendMessage"),
		stmt(r.Recheck, deployment.RecheckSendActions...),
		stmt(r.Recheck, deployment.RecheckConsumeActions...),
		stmt(r.Delivery, deployment.DeliveryActions...),
	}
	if r.NoticeWindows != nil {
		stmts = append(stmts, stmt(r.NoticeWindows, deployment.NoticeWindowActions...))
	}
	if r.EventBus != nil {
		stmts = append(stmts, stmt(r.EventBus, deployment.FindingEventActions...))
	}
	if r.AssumeReader != nil {
		stmts = append(stmts, stmt(r.AssumeReader, "sts:AssumeRole"))
	}
	if securityHub {
		stmts = append(stmts, stmt(Sub(deployment.SecurityHubProductARNSub), deployment.SecurityHubActions...))
	}
	return Grants(stmts)
}

// CheckNoticeWindowTable holds the notice windows' table to
// internal/deployment: string keys pk and sk, TTL on expiresAt, on-demand,
// encrypted, with point-in-time recovery.
func (d *Deployment) CheckNoticeWindowTable(t *testing.T, id string) {
	t.Helper()
	p := d.Resources[id].Properties
	keys := []any{
		map[string]any{"AttributeName": deployment.NoticeWindowPartitionKey, "KeyType": "HASH"},
		map[string]any{"AttributeName": deployment.NoticeWindowSortKey, "KeyType": "RANGE"},
	}
	attrs := []any{
		map[string]any{"AttributeName": deployment.NoticeWindowPartitionKey, "AttributeType": "S"},
		map[string]any{"AttributeName": deployment.NoticeWindowSortKey, "AttributeType": "S"},
	}
	ttl := map[string]any{"AttributeName": deployment.NoticeWindowTTLAttribute, "Enabled": true}
	if JSON(p["KeySchema"]) != JSON(keys) || JSON(p["AttributeDefinitions"]) != JSON(attrs) || JSON(p["TimeToLiveSpecification"]) != JSON(ttl) {
		t.Errorf("notice window table %s: keys %s, attributes %s, TTL %s", id, JSON(p["KeySchema"]), JSON(p["AttributeDefinitions"]), JSON(p["TimeToLiveSpecification"]))
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("notice window table %s: billing %v; want on-demand", id, p["BillingMode"])
	}
	if JSON(p["PointInTimeRecoverySpecification"]) != `{"PointInTimeRecoveryEnabled":true}` {
		t.Errorf("notice window table %s: no point-in-time recovery", id)
	}
}
