package cfntest

import (
	"slices"
	"testing"

	"github.com/ebsguard/ebsguard/internal/deployment"
)

// CheckRecheckSenders asserts that a queue policy of the re-check queue
// denies sqs:SendMessage to every principal but the function's role: a
// re-check message is trusted only because only the function can write one.
func (d *Deployment) CheckRecheckSenders(t testing.TB, queueID string, role any) {
	t.Helper()
	for _, pid := range d.OfType("AWS::SQS::QueuePolicy") {
		p := d.Resources[pid].Properties
		if !slices.ContainsFunc(list(p["Queues"]), func(q any) bool { return equal(q, Ref(queueID)) }) {
			continue
		}
		stmts, _ := Statements(p["PolicyDocument"])
		for _, s := range stmts {
			anyone := equal(s.Principal, "*") || equal(s.Principal, map[string]any{"AWS": "*"})
			if s.Effect == "Deny" && anyone && slices.Contains(s.Action, "sqs:SendMessage") &&
				slices.ContainsFunc(s.Resource, func(r any) bool { return equal(r, GetAtt(queueID, "Arn")) }) &&
				equal(s.Condition, map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": role}}) {
				return
			}
		}
	}
	t.Errorf("queue %s: no queue policy denies sqs:SendMessage to every principal but %s", queueID, JSON(role))
}

// CheckDeliveryTable asserts the delivery table's settings: its key,
// on-demand capacity, encryption, and TTL on the items' expiry.
func (d *Deployment) CheckDeliveryTable(t testing.TB, tableID string) {
	t.Helper()
	p := d.Resources[tableID].Properties
	want := map[string]any{
		"AttributeDefinitions": []any{
			map[string]any{"AttributeName": deployment.DeliveryPartitionKey, "AttributeType": "S"},
			map[string]any{"AttributeName": deployment.DeliverySortKey, "AttributeType": "S"},
		},
		"KeySchema": []any{
			map[string]any{"AttributeName": deployment.DeliveryPartitionKey, "KeyType": "HASH"},
			map[string]any{"AttributeName": deployment.DeliverySortKey, "KeyType": "RANGE"},
		},
		"BillingMode":             "PAY_PER_REQUEST",
		"SSESpecification":        map[string]any{"SSEEnabled": true},
		"TimeToLiveSpecification": map[string]any{"AttributeName": deployment.DeliveryTTLAttribute, "Enabled": true},
	}
	for k, v := range want {
		if !equal(p[k], v) {
			t.Errorf("delivery table %s: %s = %s; want %s", tableID, k, JSON(p[k]), JSON(v))
		}
	}
}
