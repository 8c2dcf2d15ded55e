package delivery

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDynamoDB keeps items by (pk, sk) and evaluates the table's own
// conditions: a put admitted when no item exists or the item is a claim
// older than :stale; a delete only of a claim (of the same owner if given).
type fakeDynamoDB struct {
	mu    sync.Mutex
	items map[[2]string]map[string]types.AttributeValue
	err   error // every call fails with it when set
}

func newFakeDynamoDB() *fakeDynamoDB {
	return &fakeDynamoDB{items: map[[2]string]map[string]types.AttributeValue{}}
}

func keyOf(m map[string]types.AttributeValue) [2]string {
	return [2]string{str(m[AttrEvent]), str(m[AttrDelivery])}
}

func num(v types.AttributeValue) int64 {
	n, _ := v.(*types.AttributeValueMemberN)
	if n == nil {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

func (f *fakeDynamoDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	k := keyOf(in.Item)
	if old, ok := f.items[k]; ok {
		stale := num(in.ExpressionAttributeValues[":stale"])
		if !(str(old[AttrState]) == stateClaimed && num(old[AttrClaimedAt]) < stale) {
			return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		}
	}
	f.items[k] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDynamoDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &dynamodb.GetItemOutput{Item: f.items[keyOf(in.Key)]}, nil
}

func (f *fakeDynamoDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	k := keyOf(in.Key)
	it := f.items[k]
	if it == nil {
		it = map[string]types.AttributeValue{AttrEvent: in.Key[AttrEvent], AttrDelivery: in.Key[AttrDelivery]}
	}
	it[AttrState] = in.ExpressionAttributeValues[":published"]
	delete(it, AttrOwner)
	f.items[k] = it
	return &dynamodb.UpdateItemOutput{}, nil
}

func (f *fakeDynamoDB) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	k := keyOf(in.Key)
	it, ok := f.items[k]
	owner, byOwner := in.ExpressionAttributeValues[":owner"]
	if !ok || str(it[AttrState]) != stateClaimed || (byOwner && str(it[AttrOwner]) != str(owner)) {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	delete(f.items, k)
	return &dynamodb.DeleteItemOutput{}, nil
}

func (f *fakeDynamoDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []map[string]types.AttributeValue
	for k, it := range f.items {
		if k[0] == str(in.ExpressionAttributeValues[":event"]) && str(it[AttrState]) == statePublished {
			out = append(out, it)
		}
	}
	return &dynamodb.QueryOutput{Items: out}, nil
}

// The two-state item under each fault: a claim admits once; a claim held by
// another is Held until its lease runs out; a published key is Done; a
// released claim is admitted again; a table that fails fails the claim.
func TestTableClaims(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)
	db := newFakeDynamoDB()
	tb := NewTable(db, "ebsguard-delivery", 5*time.Minute, 52*time.Hour, func() time.Time { return now })
	a := Key{EventID: "e-1", Resource: "vol-1", Code: "UNENCRYPTED"}
	b := Key{EventID: "e-1", Resource: "vol-2", Code: "UNENCRYPTED"}

	c, err := tb.Claim(ctx, []Key{a, b, a})
	if err != nil || len(c.Admitted) != 2 {
		t.Fatalf("first claim = %+v, %v; want both admitted once", c, err)
	}
	c, _ = tb.Claim(ctx, []Key{a})
	if len(c.Held) != 1 {
		t.Fatalf("second claim within the lease = %+v; want held", c)
	}
	if err := tb.Confirm(ctx, []Key{a}); err != nil {
		t.Fatal(err)
	}
	if err := tb.Release(ctx, []Key{b}); err != nil {
		t.Fatal(err)
	}
	c, _ = tb.Claim(ctx, []Key{a, b})
	if len(c.Done) != 1 || c.Done[0] != a || len(c.Admitted) != 1 || c.Admitted[0] != b {
		t.Fatalf("after confirm and release = %+v; want a done, b admitted", c)
	}
	// b's claimer crashed: after the lease another takes it over.
	now = now.Add(6 * time.Minute)
	c, _ = tb.Claim(ctx, []Key{b})
	if len(c.Admitted) != 1 {
		t.Fatalf("claim after the lease = %+v; want admitted", c)
	}
	got, err := tb.Published(ctx, "e-1")
	if err != nil || len(got) != 1 || got[0] != a {
		t.Errorf("Published = %v, %v; want [a]", got, err)
	}
	it := db.items[[2]string{"e-1", a.Digest()}]
	if exp := num(it[AttrExpiresAt]); exp != now.Add(-6*time.Minute).Add(52*time.Hour).Unix() {
		t.Errorf("expiresAt = %d; want claim time plus the TTL", exp)
	}
	db.err = errors.New("ProvisionedThroughputExceededException")
	if _, err := tb.Claim(ctx, []Key{{EventID: "e-2", Code: "X"}}); err == nil {
		t.Error("a failing table admitted a claim")
	}
}

// Memory and the Table agree on every sequence of the same calls.
func TestMemoryAgreesWithTable(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tb := NewTable(newFakeDynamoDB(), "t", 5*time.Minute, time.Hour, clock)
	mem := NewMemory(5*time.Minute, clock)
	keys := []Key{{EventID: "e", Resource: "r1", Code: "A"}, {EventID: "e", Resource: "r2", Code: "A"}, {EventID: "e", Resource: "r1", Code: "B"}}
	for step := range 60 {
		k := []Key{keys[step%3], keys[(step*7)%3]}
		switch step % 5 {
		case 0, 3:
			c1, _ := tb.Claim(ctx, k)
			c2, _ := mem.Claim(ctx, k)
			if len(c1.Admitted) != len(c2.Admitted) || len(c1.Done) != len(c2.Done) || len(c1.Held) != len(c2.Held) {
				t.Fatalf("step %d: table %+v, memory %+v", step, c1, c2)
			}
		case 1:
			tb.Confirm(ctx, k[:1])
			mem.Confirm(ctx, k[:1])
		case 2:
			tb.Release(ctx, k[1:])
			mem.Release(ctx, k[1:])
		case 4:
			now = now.Add(2 * time.Minute)
		}
	}
}
