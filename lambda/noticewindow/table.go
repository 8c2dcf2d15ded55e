// Package noticewindow aggregates operational notices: a permanent error of
// one class (a missing reader role, a denied read) in one account and Region
// is published once per window, with the count of events it affected and
// the first and last event IDs, instead of once per event. The function's
// metrics still count each event, and the error-verdict alarm fires on the
// first one.
//
// The window's state is an item of a DynamoDB table, updated atomically:
// every event adds itself to its window (an atomic counter), the first one
// schedules the window's close through the re-check queue, and the close
// claims the window with a conditional update, so that the notice is
// published once even when the close message is delivered twice. An event
// that arrives after its window was closed is published on its own.
package noticewindow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of DynamoDB the table calls.
type DynamoDBAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ DynamoDBAPI = (*dynamodb.Client)(nil)

// The item's attributes. The key attributes are those of the delivery table
// (pk, sk, TTL on expiresAt), so that one table can hold both: a window's
// partition key starts with "notice-window#", never an event ID.
const (
	AttrPK        = "pk"
	AttrSK        = "sk"
	AttrExpiresAt = "expiresAt"
	attrCount     = "eventCount"
	attrFirst     = "firstEventId"
	attrLast      = "lastEventId"
	attrFirstSeen = "firstSeen"
	attrLastSeen  = "lastSeen"
	attrNotice    = "notice"
	attrClosed    = "closedAt"
	attrScheduled = "closeScheduledAt"
	// attrEvents is the set of the events counted (a digest of each ID),
	// so that an event delivered twice (EventBridge and SQS deliver at
	// least once, a failed record is retried) counts once.
	attrEvents = "countedEvents"
)

// maxCounted bounds the set of events counted: each write of the item is
// paid by its size, so the set stays under 10 KB (500 digests of 16
// characters); past it, events are counted without it.
const maxCounted = 500

// countedID is the set member of an event: a digest, short and of one size
// whatever the record holds.
func countedID(eventID string) string {
	h := sha256.Sum256([]byte(eventID))
	return hex.EncodeToString(h[:8])
}

// Key is one class of error in one account and Region.
type Key struct {
	Account, Region, Class string
}

func (k Key) String() string { return k.Class + " in " + k.Account + " " + k.Region }

// State is a window as the table holds it.
type State struct {
	Key
	Start, End                time.Time
	Count                     int
	FirstEventID, LastEventID string
	FirstSeen, LastSeen       time.Time
	// Notice is the first event's verdict, as the caller stored it.
	Notice []byte
	// Scheduled tells that the window's close is on the queue.
	Scheduled bool
	// Repeated tells that the event was counted before (a repeated
	// delivery): the window is as it was.
	Repeated bool
}

// Table keeps windows in a DynamoDB table.
type Table struct {
	db     DynamoDBAPI
	name   string
	window time.Duration
}

// NewTable returns the windows of length window in table name.
func NewTable(db DynamoDBAPI, name string, window time.Duration) *Table {
	return &Table{db: db, name: name, window: window}
}

// Window is the window length.
func (t *Table) Window() time.Duration { return t.window }

// start is the window an instant falls in: windows are aligned, so that
// every invocation names the same item without reading first.
func (t *Table) start(at time.Time) time.Time {
	return at.UTC().Truncate(t.window)
}

func (t *Table) key(k Key, start time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: "notice-window#" + k.Account + "#" + k.Region + "#" + k.Class},
		AttrSK: &types.AttributeValueMemberS{Value: strconv.FormatInt(start.Unix(), 10)},
	}
}

// ErrClosed is Note's answer when the event's window was closed already:
// its notice went out, and this event must be published on its own.
var ErrClosed = errors.New("the window was closed")

// Note adds an event to the window of now, storing notice (the first
// event's verdict) with the first event. It returns the window as updated:
// while its close is not Scheduled, the caller schedules it. An event
// counted before (its ID is in the window's set) is not counted again: the
// window comes back as it was, Repeated, and Scheduled when it was closed
// already (its notice went out, counting this event).
func (t *Table) Note(ctx context.Context, k Key, eventID string, notice []byte, now time.Time) (State, error) {
	start := t.start(now)
	names := map[string]string{
		"#count": attrCount, "#first": attrFirst, "#firstSeen": attrFirstSeen, "#notice": attrNotice,
		"#last": attrLast, "#lastSeen": attrLastSeen, "#exp": AttrExpiresAt, "#closed": attrClosed,
	}
	values := map[string]types.AttributeValue{
		":one":    &types.AttributeValueMemberN{Value: "1"},
		":id":     &types.AttributeValueMemberS{Value: eventID},
		":now":    number(now.Unix()),
		":notice": &types.AttributeValueMemberB{Value: notice},
		// A day after the window: the close has long run by then.
		":exp": number(start.Add(t.window + 24*time.Hour).Unix()),
	}
	set := "SET #first = if_not_exists(#first, :id), #firstSeen = if_not_exists(#firstSeen, :now), " +
		"#notice = if_not_exists(#notice, :notice), #last = :id, #lastSeen = :now, #exp = if_not_exists(#exp, :exp)"
	in := &dynamodb.UpdateItemInput{
		TableName:                           aws.String(t.name),
		Key:                                 t.key(k, start),
		UpdateExpression:                    aws.String("ADD #count :one " + set),
		ConditionExpression:                 aws.String("attribute_not_exists(#closed)"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	counted := *in
	if eventID != "" {
		// The event joins the window's set, unless it is there already or
		// the set is full.
		counted.UpdateExpression = aws.String("ADD #count :one, #ids :ids " + set)
		counted.ConditionExpression = aws.String("attribute_not_exists(#closed) AND NOT contains(#ids, :idkey) AND (attribute_not_exists(#ids) OR size(#ids) < :cap)")
		counted.ExpressionAttributeNames = maps.Clone(names)
		counted.ExpressionAttributeNames["#ids"] = attrEvents
		counted.ExpressionAttributeValues = maps.Clone(values)
		counted.ExpressionAttributeValues[":ids"] = &types.AttributeValueMemberSS{Value: []string{countedID(eventID)}}
		counted.ExpressionAttributeValues[":idkey"] = &types.AttributeValueMemberS{Value: countedID(eventID)}
		counted.ExpressionAttributeValues[":cap"] = number(maxCounted)
	}
	out, err := t.db.UpdateItem(ctx, &counted)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && eventID != "" {
		_, closed := ccf.Item[attrClosed]
		switch {
		case inSet(ccf.Item, eventID):
			st, err := t.state(k, start, ccf.Item)
			st.Repeated = true
			st.Scheduled = st.Scheduled || closed
			return st, err
		case !closed && ccf.Item != nil:
			// The set is full: count without it.
			out, err = t.db.UpdateItem(ctx, in)
		}
	}
	if errors.As(err, &ccf) {
		return State{}, ErrClosed
	}
	if err != nil {
		return State{}, fmt.Errorf("note event %s in the %s window of %s in table %s: %w", eventID, k, start.Format(time.RFC3339), t.name, err)
	}
	return t.state(k, start, out.Attributes)
}

// inSet reports whether an item's set of counted events holds eventID.
func inSet(item map[string]types.AttributeValue, eventID string) bool {
	ids, ok := item[attrEvents].(*types.AttributeValueMemberSS)
	return ok && eventID != "" && slices.Contains(ids.Value, countedID(eventID))
}

// Close claims a window's notice: it returns the window's state once, and
// false when the window was closed before (a repeated close message) or
// holds no event.
func (t *Table) Close(ctx context.Context, k Key, start, now time.Time) (State, bool, error) {
	out, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.name),
		Key:                      t.key(k, start),
		UpdateExpression:         aws.String("SET #closed = :now"),
		ConditionExpression:      aws.String("attribute_exists(#count) AND attribute_not_exists(#closed)"),
		ExpressionAttributeNames: map[string]string{"#closed": attrClosed, "#count": attrCount},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": number(now.Unix()),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("close the %s window of %s in table %s: %w", k, start.Format(time.RFC3339), t.name, err)
	}
	st, err := t.state(k, start, out.Attributes)
	return st, err == nil, err
}

func (t *Table) state(k Key, start time.Time, item map[string]types.AttributeValue) (State, error) {
	st := State{Key: k, Start: start, End: start.Add(t.window)}
	var err error
	n := func(name string) int64 {
		v, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			err = errors.Join(err, fmt.Errorf("window item has no number %s", name))
			return 0
		}
		x, perr := strconv.ParseInt(v.Value, 10, 64)
		err = errors.Join(err, perr)
		return x
	}
	s := func(name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			err = errors.Join(err, fmt.Errorf("window item has no string %s", name))
			return ""
		}
		return v.Value
	}
	st.Count = int(n(attrCount))
	st.FirstEventID, st.LastEventID = s(attrFirst), s(attrLast)
	st.FirstSeen, st.LastSeen = time.Unix(n(attrFirstSeen), 0).UTC(), time.Unix(n(attrLastSeen), 0).UTC()
	_, st.Scheduled = item[attrScheduled]
	if b, ok := item[attrNotice].(*types.AttributeValueMemberB); ok {
		st.Notice = b.Value
	}
	if err != nil {
		return st, fmt.Errorf("read the %s window of %s: %w", k, start.Format(time.RFC3339), err)
	}
	return st, nil
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// Reopen undoes a Close whose notice could not be published.
func (t *Table) Reopen(ctx context.Context, k Key, start time.Time) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.name),
		Key:                      t.key(k, start),
		UpdateExpression:         aws.String("REMOVE #closed"),
		ExpressionAttributeNames: map[string]string{"#closed": attrClosed},
	})
	if err != nil {
		return fmt.Errorf("reopen the %s window of %s in table %s: %w", k, start.Format(time.RFC3339), t.name, err)
	}
	return nil
}

// Scheduled records that the window's close is on the queue, so that later
// events (and a retry of the first) do not schedule it again.
func (t *Table) Scheduled(ctx context.Context, k Key, start, now time.Time) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       t.key(k, start),
		UpdateExpression:          aws.String("SET #scheduled = :now"),
		ExpressionAttributeNames:  map[string]string{"#scheduled": attrScheduled},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": number(now.Unix())},
	})
	if err != nil {
		return fmt.Errorf("mark the close of the %s window of %s scheduled in table %s: %w", k, start.Format(time.RFC3339), t.name, err)
	}
	return nil
}
