package backfill

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// PathColumn is the pseudo-column that holds the S3 object of a row in
// Athena ("$path"). The local engine (internal/localathena) exposes a column
// of that very name, so the query runs there unchanged.
const PathColumn = `"$path"`

// Window bounds the calls a backfill reads, by event time: Start inclusive,
// End exclusive.
type Window struct{ Start, End time.Time }

// Plan is what one backfill asks of the table.
type Plan struct {
	Table    Table
	Window   Window
	Accounts []string // nil: every account of the table
	Regions  []string // nil: every Region of the table
	// Events are the kinds' event names and their sources, from the rules'
	// registry (Events()).
	Events []Event
}

// Event is one call of a kind: its CloudTrail eventSource and eventName.
type Event struct{ Source, Name string }

// Events lists the calls of every kind of the rules' registry, each with the
// service that records it (Kind.Source: ec2.amazonaws.com, or
// ebs.amazonaws.com for the EBS direct APIs' StartSnapshot), then the
// settings changes (EC2 calls): a new kind is queried without touching the
// query.
func Events() []Event {
	var out []Event
	for _, k := range rules.Kinds() {
		out = append(out, Event{Source: k.Source(), Name: k.EventName})
	}
	for _, c := range rules.SettingChanges() {
		out = append(out, Event{Source: rules.EC2Source, Name: c.EventName})
	}
	return out
}

// DeliverySlack is how long after an event its log file may be written:
// CloudTrail delivers within about 15 minutes, into the folder of the day it
// writes the file, so a call just before midnight can sit in the next day's
// folder. The date predicate reaches one day past the window; eventtime
// trims it back.
const DeliverySlack = 24 * time.Hour

// Days are the date partitions the plan reads: the window's days, and the
// next (DeliverySlack), as yyyy/MM/dd.
func (p Plan) Days() (first, last string) {
	end := p.Window.End.Add(-time.Nanosecond).Add(DeliverySlack)
	return p.Window.Start.UTC().Format("2006/01/02"), end.UTC().Format("2006/01/02")
}

// SQL is the one query of a backfill. Only its partition predicates (date,
// account, Region) cut what Athena scans: the others filter the rows of the
// objects scanned and cost nothing more, nothing less.
//
//	SELECT eventid, "$path" FROM db.t
//	WHERE "timestamp" BETWEEN '2024/01/01' AND '2024/12/31'     -- partitions: what is scanned
//	  AND account IN ('111111111111') AND region IN ('us-east-1') -- partitions, when named
//	  AND eventtime >= '2024-01-01T00:00:00Z' AND eventtime < '2024-12-31T00:00:00Z'
//	  AND errorcode IS NULL
//	  AND ((eventsource = 'ec2.amazonaws.com' AND eventname IN ('RunInstances', ...)))
func (p Plan) SQL() string {
	first, last := p.Days()
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT eventid, %s AS path\nFROM %s.%s\n", PathColumn, p.Table.Database, p.Table.Name)
	fmt.Fprintf(&b, "WHERE \"%s\" BETWEEN %s AND %s\n", PartitionDate, quote(first), quote(last))
	if len(p.Accounts) > 0 {
		fmt.Fprintf(&b, "  AND %s IN (%s)\n", PartitionAccount, list(p.Accounts))
	}
	if len(p.Regions) > 0 {
		fmt.Fprintf(&b, "  AND %s IN (%s)\n", PartitionRegion, list(p.Regions))
	}
	fmt.Fprintf(&b, "  AND eventtime >= %s AND eventtime < %s\n", quote(p.Window.Start.UTC().Format(time.RFC3339)), quote(p.Window.End.UTC().Format(time.RFC3339)))
	b.WriteString("  AND errorcode IS NULL\n")
	bySource := map[string][]string{}
	var sources []string
	for _, e := range p.Events {
		if bySource[e.Source] == nil {
			sources = append(sources, e.Source)
		}
		bySource[e.Source] = append(bySource[e.Source], e.Name)
	}
	slices.Sort(sources)
	var ors []string
	for _, s := range sources {
		ors = append(ors, fmt.Sprintf("(eventsource = %s AND eventname IN (%s))", quote(s), list(bySource[s])))
	}
	fmt.Fprintf(&b, "  AND (%s)", strings.Join(ors, "\n    OR "))
	return b.String()
}

// quote writes a SQL string literal. The values are account IDs, Region
// names, event names and dates, validated before; a quote is doubled anyway.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func list(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

// MaxPartitions is the most partitions one Athena query may project: a
// query over a projected table whose predicates leave more fails
// (HIVE_EXCEEDED_PARTITION_LIMIT). An organization's accounts times its
// Regions times the days of a year or more is past it: 150 accounts in 17
// Regions reach it in 392 days.
const MaxPartitions = 1_000_000

// Split cuts the plan's window into consecutive windows whose queries each
// project at most MaxPartitions partitions (their days, with the delivery
// slack's, times the accounts times the Regions, as many as the table
// projects when the plan names none). The windows share no instant, so an
// event is named by one query only. It fails when a single day is already
// past the limit.
func (p Plan) Split(accounts, regions int) ([]Plan, error) {
	if len(p.Accounts) > 0 {
		accounts = len(p.Accounts)
	}
	if len(p.Regions) > 0 {
		regions = len(p.Regions)
	}
	per := max(1, accounts) * max(1, regions)
	// A window of n days (from midnight) reads n+1 date partitions.
	days := MaxPartitions/per - 1
	if days < 1 {
		return nil, fmt.Errorf("%d accounts times %d Regions project %d partitions a day: past Athena's %d per query even for a day; name fewer with --accounts or --regions",
			max(1, accounts), max(1, regions), per, MaxPartitions)
	}
	var out []Plan
	for start := p.Window.Start; start.Before(p.Window.End); {
		// Whole days from the start's midnight, so that the date partitions
		// of consecutive windows overlap by the slack day only.
		u := start.UTC()
		day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		end := day.AddDate(0, 0, days)
		if !end.Before(p.Window.End) {
			end = p.Window.End
		}
		q := p
		q.Window = Window{Start: start, End: end}
		out = append(out, q)
		start = end
	}
	return out, nil
}

// Partitions is the number of date, account and Region partitions the
// plan's query projects, accounts and regions being the table's when the
// plan names none.
func (p Plan) Partitions(accounts, regions int) int {
	if len(p.Accounts) > 0 {
		accounts = len(p.Accounts)
	}
	if len(p.Regions) > 0 {
		regions = len(p.Regions)
	}
	first, last := p.Days()
	a, _ := time.Parse("2006/01/02", first)
	b, _ := time.Parse("2006/01/02", last)
	return (int(b.Sub(a).Hours()/24) + 1) * max(1, accounts) * max(1, regions)
}
