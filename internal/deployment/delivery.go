package deployment

import "time"

// The delivery table (lambda/delivery): one item per published finding or
// notice, keyed by event and delivery, so that every finding reaches the
// topic once. Both deployments build it from these values: on-demand
// capacity, encrypted, TTL on expiresAt.
const (
	// EnvDeliveryTable names the table for the function.
	EnvDeliveryTable = "DELIVERY_TABLE"

	// DeliveryPartitionKey and DeliverySortKey are the table's key
	// attributes (strings); DeliveryTTLAttribute its TTL attribute.
	DeliveryPartitionKey = "pk"
	DeliverySortKey      = "sk"
	DeliveryTTLAttribute = "expiresAt"

	// DeliveryLease is how long a claim holds before another evaluation may
	// take it: longer than the function's timeout, so that a claim is only
	// taken over from an invocation that has ended.
	DeliveryLease = 5 * TimeoutSec * time.Second

	// DeliveryRetention is how long an item outlives the re-check deadline:
	// a duplicate delivery days later still finds it.
	DeliveryRetention = 3 * 24 * time.Hour
)

// DeliveryActions are what the function needs on the delivery table, on
// that table only.
var DeliveryActions = []string{
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:UpdateItem",
}
