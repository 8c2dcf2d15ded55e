package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of DynamoDB the table calls.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ DynamoDBAPI = (*dynamodb.Client)(nil)

// The table's schema (both deployments build it from these names): the
// partition key is the event, the sort key the delivery, so that one Query
// lists what an event has published. TTL deletes an item at expiresAt.
const (
	AttrEvent     = "pk" // the event ID
	AttrDelivery  = "sk" // Key.Digest()
	AttrState     = "state"
	AttrResource  = "resource"
	AttrCode      = "code"
	AttrClaimedAt = "claimedAt" // Unix seconds
	AttrOwner     = "owner"
	AttrExpiresAt = "expiresAt" // Unix seconds, the TTL attribute

	stateClaimed   = "claimed"
	statePublished = "published"
)

// Table is the Ledger on a DynamoDB table.
type Table struct {
	db    DynamoDBAPI
	name  string
	lease time.Duration // how long a claim holds before another may take it
	ttl   time.Duration // how long an item lives
	now   func() time.Time
	// parallel bounds the concurrent writes of one call: a launch of
	// hundreds of instances claims thousands of findings.
	parallel int
}

// NewTable returns the ledger on table name. lease must exceed the
// function's timeout; ttl the re-check deadline (a few days more).
func NewTable(db DynamoDBAPI, name string, lease, ttl time.Duration, now func() time.Time) *Table {
	return &Table{db: db, name: name, lease: lease, ttl: ttl, now: now, parallel: 16}
}

func (t *Table) key(k Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrEvent:    &types.AttributeValueMemberS{Value: k.EventID},
		AttrDelivery: &types.AttributeValueMemberS{Value: k.Digest()},
	}
}

// Claim implements Ledger: one conditional put per key, admitted when no
// item exists or the item is a claim whose lease ran out.
func (t *Table) Claim(ctx context.Context, keys []Key) (Claim, error) {
	keys = dedupe(keys)
	owner := token()
	now := t.now()
	outcome := make([]int, len(keys)) // 0 admitted, 1 done, 2 held
	err := t.each(ctx, keys, func(ctx context.Context, i int, k Key) error {
		item := t.key(k)
		item[AttrState] = &types.AttributeValueMemberS{Value: stateClaimed}
		item[AttrResource] = &types.AttributeValueMemberS{Value: k.Resource}
		item[AttrCode] = &types.AttributeValueMemberS{Value: k.Code}
		item[AttrOwner] = &types.AttributeValueMemberS{Value: owner}
		item[AttrClaimedAt] = number(now.Unix())
		item[AttrExpiresAt] = number(now.Add(t.ttl).Unix())
		_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:           aws.String(t.name),
			Item:                item,
			ConditionExpression: aws.String("attribute_not_exists(#pk) OR (#state = :claimed AND #at < :stale)"),
			ExpressionAttributeNames: map[string]string{
				"#pk": AttrEvent, "#state": AttrState, "#at": AttrClaimedAt,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":claimed": &types.AttributeValueMemberS{Value: stateClaimed},
				":stale":   number(now.Add(-t.lease).Unix()),
			},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &ccf):
			return fmt.Errorf("claim %s %s of event %s in table %s: %w", k.Code, k.Resource, k.EventID, t.name, err)
		}
		// Published, or held by another: a consistent read says which.
		got, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: t.key(k), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read claim %s %s of event %s in table %s: %w", k.Code, k.Resource, k.EventID, t.name, err)
		}
		if s, ok := got.Item[AttrState].(*types.AttributeValueMemberS); ok && s.Value == statePublished {
			outcome[i] = 1
		} else {
			outcome[i] = 2
		}
		return nil
	})
	var c Claim
	if err != nil {
		// Give back what this call took, so that a retry takes it again
		// at once rather than after the lease.
		var took []Key
		for i, k := range keys {
			if outcome[i] == 0 {
				took = append(took, k)
			}
		}
		_ = t.release(context.WithoutCancel(ctx), took, owner)
		return c, err
	}
	for i, k := range keys {
		switch outcome[i] {
		case 0:
			c.Admitted = append(c.Admitted, k)
		case 1:
			c.Done = append(c.Done, k)
		default:
			c.Held = append(c.Held, k)
		}
	}
	return c, nil
}

// Confirm implements Ledger.
func (t *Table) Confirm(ctx context.Context, keys []Key) error {
	return t.each(ctx, keys, func(ctx context.Context, _ int, k Key) error {
		_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(t.name),
			Key:                       t.key(k),
			UpdateExpression:          aws.String("SET #state = :published REMOVE #owner"),
			ExpressionAttributeNames:  map[string]string{"#state": AttrState, "#owner": AttrOwner},
			ExpressionAttributeValues: map[string]types.AttributeValue{":published": &types.AttributeValueMemberS{Value: statePublished}},
		})
		if err != nil {
			return fmt.Errorf("confirm %s %s of event %s in table %s: %w", k.Code, k.Resource, k.EventID, t.name, err)
		}
		return nil
	})
}

// Release implements Ledger: deletes the claims (only while still claimed).
func (t *Table) Release(ctx context.Context, keys []Key) error {
	return t.release(ctx, keys, "")
}

func (t *Table) release(ctx context.Context, keys []Key, owner string) error {
	return t.each(ctx, keys, func(ctx context.Context, _ int, k Key) error {
		in := &dynamodb.DeleteItemInput{
			TableName:                 aws.String(t.name),
			Key:                       t.key(k),
			ConditionExpression:       aws.String("#state = :claimed"),
			ExpressionAttributeNames:  map[string]string{"#state": AttrState},
			ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": &types.AttributeValueMemberS{Value: stateClaimed}},
		}
		if owner != "" {
			in.ConditionExpression = aws.String("#state = :claimed AND #owner = :owner")
			in.ExpressionAttributeNames["#owner"] = AttrOwner
			in.ExpressionAttributeValues[":owner"] = &types.AttributeValueMemberS{Value: owner}
		}
		_, err := t.db.DeleteItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return fmt.Errorf("release %s %s of event %s in table %s: %w", k.Code, k.Resource, k.EventID, t.name, err)
		}
		return nil
	})
}

// Published implements Ledger.
func (t *Table) Published(ctx context.Context, eventID string) ([]Key, error) {
	var out []Key
	var start map[string]types.AttributeValue
	for {
		page, err := t.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(t.name),
			KeyConditionExpression:    aws.String("#pk = :event"),
			FilterExpression:          aws.String("#state = :published"),
			ExpressionAttributeNames:  map[string]string{"#pk": AttrEvent, "#state": AttrState},
			ExpressionAttributeValues: map[string]types.AttributeValue{":event": &types.AttributeValueMemberS{Value: eventID}, ":published": &types.AttributeValueMemberS{Value: statePublished}},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list published findings of event %s in table %s: %w", eventID, t.name, err)
		}
		for _, it := range page.Items {
			out = append(out, Key{EventID: eventID, Resource: str(it[AttrResource]), Code: str(it[AttrCode])})
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

// each runs f for every key, at most t.parallel at a time, and returns the
// errors joined.
func (t *Table) each(ctx context.Context, keys []Key, f func(context.Context, int, Key) error) error {
	sem := make(chan struct{}, max(t.parallel, 1))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = f(ctx, i, k)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// token is a random claim owner: a release deletes only its own claims.
func token() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
