// Package trail reads CloudTrail event history with LookupEvents, for
// `ebsguard audit`: the events of one account and Region, one event name at a
// time, page by page, each event's record decoded by the same decoder as
// replay and the Lambda. Calls are paced per account and Region within the
// documented rate limit, and a throttled call is retried after a backoff.
package trail

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// API is the part of CloudTrail the reader calls.
type API interface {
	LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

var _ API = (*cloudtrail.Client)(nil)

// What the CloudTrail API Reference says of LookupEvents
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
// "You can look up events that occurred in a Region within the last 90
// days", "The default number of results returned is 50, with a maximum of 50
// possible", and "The rate of lookup requests is limited to two per second,
// per account, per Region. If this limit is exceeded, a throttling error
// occurs."
const (
	// Retention is how far back event history goes.
	Retention = 90 * 24 * time.Hour
	// MaxResults is the largest page, asked for every page.
	MaxResults = 50
	// PerSecond is the rate limit per account and Region.
	PerSecond = 2
)

// Query selects events of one account and Region.
type Query struct {
	// EventNames are looked up one at a time: LookupEvents accepts one
	// lookup attribute per call.
	EventNames []string
	// Start and End bound the event time, both inclusive; zero is unbounded.
	Start, End time.Time
}

// Counts are what a Read did.
type Counts struct {
	Calls  int // LookupEvents pages asked
	Events int // events yielded (an event listed twice counts once)
}

// Read looks up the events of each name of q in turn, through api (which
// should be paced: see Pacer.Client), and yields each event as decoded from
// its CloudTrailEvent, newest first as LookupEvents lists them. An event whose
// record cannot be read is yielded as an item with Err set, attributed to its
// event ID. Read stops at the first failed call, or when yield returns an
// error, and returns it.
func Read(ctx context.Context, api API, q Query, yield func(ct.Item) error) (Counts, error) {
	var n Counts
	seen := map[string]bool{}
	for _, name := range q.EventNames {
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
			MaxResults:       aws.Int32(MaxResults),
		}
		if !q.Start.IsZero() {
			in.StartTime = aws.Time(q.Start)
		}
		if !q.End.IsZero() {
			in.EndTime = aws.Time(q.End)
		}
		// A repeated token would loop forever on a misbehaving endpoint.
		p := cloudtrail.NewLookupEventsPaginator(api, in, func(o *cloudtrail.LookupEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("look up %s events: %w", name, err)
			}
			n.Calls++
			for _, ev := range page.Events {
				id := aws.ToString(ev.EventId)
				if id != "" && seen[id] {
					continue // listed again on a later page as history grew
				}
				seen[id] = true
				n.Events++
				if err := yield(decode(ev)); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// decode reads the record of one listed event; what cannot be read is an
// error item named after the event, so that its verdict says which.
func decode(ev cttypes.Event) ct.Item {
	id, name := aws.ToString(ev.EventId), aws.ToString(ev.EventName)
	attributed := &ct.Record{EventID: ct.String(id), EventName: ct.String(name)}
	raw := aws.ToString(ev.CloudTrailEvent)
	if raw == "" {
		return ct.Item{Record: attributed, Err: fmt.Errorf("event %s (%s): LookupEvents gave no CloudTrailEvent", id, name)}
	}
	items := ct.DecodeAll([]byte(raw))
	if len(items) != 1 {
		return ct.Item{Record: attributed, Err: fmt.Errorf("event %s (%s): CloudTrailEvent holds %d records, not one", id, name, len(items))}
	}
	it := items[0]
	if it.Record == nil {
		it.Record = attributed
	}
	if it.Err != nil {
		it.Err = fmt.Errorf("event %s (%s): %w", id, name, it.Err)
	}
	return it
}
