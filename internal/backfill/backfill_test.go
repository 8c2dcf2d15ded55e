package backfill

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"trail.cloudtrail", "trail.cloudtrail", true},
		{"Security_DB.CloudTrail_Logs", "security_db.cloudtrail_logs", true},
		{"cloudtrail", "", false},
		{"a.b.c", "", false},
		{"trail.x; DROP TABLE y", "", false},
		{"trail.\"x\"", "", false},
	} {
		got, err := ParseTable(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got.String() != tc.want) {
			t.Errorf("ParseTable(%q) = %v, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in             string
		bucket, prefix string
		org            string
		ok             bool
	}{
		{"s3://logs/AWSLogs/o-a1b2c3d4e5/", "logs", "AWSLogs/o-a1b2c3d4e5/", "o-a1b2c3d4e5", true},
		{"s3://logs/AWSLogs/o-a1b2c3d4e5", "logs", "AWSLogs/o-a1b2c3d4e5/", "o-a1b2c3d4e5", true},
		{"s3://logs/org/trail/AWSLogs/", "logs", "org/trail/AWSLogs/", "", true},
		{"s3://logs/AWSLogs/111111111111/", "", "", "", false},
		{"logs/AWSLogs/", "", "", "", false},
		{"s3:///AWSLogs/", "", "", "", false},
		// The location is written into the DDL's string literals: a quote,
		// a template's ${, or a bucket name S3 refuses is not accepted.
		{"s3://org-trail/x'y/AWSLogs/", "", "", "", false},
		{"s3://org-trail/a'),('x/AWSLogs/o-a1b2c3d4e5/", "", "", "", false},
		{"s3://org'trail/AWSLogs/", "", "", "", false},
		{"s3://logs/${account}/AWSLogs/", "", "", "", false},
		{"s3://Logs_Bucket/AWSLogs/", "", "", "", false},
		{"s3://logs/a b/AWSLogs/", "", "", "", false},
		{"s3://my.trail-logs/team_1/(old)/AWSLogs/", "my.trail-logs", "team_1/(old)/AWSLogs/", "", true},
	} {
		got, err := ParseLocation(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (got.Bucket != tc.bucket || got.Prefix != tc.prefix || got.Org != tc.org)) {
			t.Errorf("ParseLocation(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

var jan = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The query's predicates: the partitions of the window (one day of
// delivery slack), the accounts and Regions only when named, the exact
// event time, successful calls, the registry's events.
func TestSQL(t *testing.T) {
	base := Plan{Table: Table{"trail", "cloudtrail"}, Window: Window{Start: jan, End: jan.AddDate(1, 0, 0)}, Events: Events()}
	for _, tc := range []struct {
		name        string
		plan        func(Plan) Plan
		want, avoid []string
	}{
		{name: "a year", plan: func(p Plan) Plan { return p },
			want: []string{`SELECT eventid, "$path" AS path`, "FROM trail.cloudtrail", `"timestamp" BETWEEN '2024/01/01' AND '2025/01/01'`,
				"eventtime >= '2024-01-01T00:00:00Z' AND eventtime < '2025-01-01T00:00:00Z'", "errorcode IS NULL",
				"eventsource = 'ec2.amazonaws.com' AND eventname IN ('RunInstances', "},
			avoid: []string{"account IN", "region IN"}},
		{name: "accounts and Regions", plan: func(p Plan) Plan {
			p.Accounts, p.Regions = []string{"111111111111", "222222222222"}, []string{"eu-west-1"}
			return p
		}, want: []string{"account IN ('111111111111', '222222222222')", "region IN ('eu-west-1')"}},
		{name: "an hour before midnight", plan: func(p Plan) Plan {
			p.Window = Window{Start: jan.Add(23 * time.Hour), End: jan.Add(24 * time.Hour)}
			return p
		}, want: []string{`BETWEEN '2024/01/01' AND '2024/01/02'`}},
		{name: "a quote in a name is doubled", plan: func(p Plan) Plan {
			p.Regions = []string{"x'y"}
			return p
		}, want: []string{"region IN ('x''y')"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sql := tc.plan(base).SQL()
			for _, w := range tc.want {
				if !strings.Contains(sql, w) {
					t.Errorf("lacks %q:\n%s", w, sql)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(sql, a) {
					t.Errorf("has %q:\n%s", a, sql)
				}
			}
		})
	}
}

// Every kind of the registry is queried: a new kind needs no change here.
func TestEventsCoverTheRegistry(t *testing.T) {
	var got []string
	for _, e := range Events() {
		got = append(got, e.Name)
		if e.Source == "" {
			t.Errorf("%s has no source", e.Name)
		}
	}
	if !slices.Equal(got, rules.EventNames()) {
		t.Errorf("events %v, registry %v", got, rules.EventNames())
	}
	sql := Plan{Table: Table{"a", "b"}, Window: Window{Start: jan, End: jan.Add(time.Hour)}, Events: Events()}.SQL()
	for _, n := range rules.EventNames() {
		if !strings.Contains(sql, "'"+n+"'") {
			t.Errorf("the query lacks %s", n)
		}
	}
}

// Generated windows: the date partitions always cover every day an event of
// the window can be logged in (its own, or the next when delivered after
// midnight), and no day before the window.
func TestDaysCoverTheWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		start := jan.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
		end := start.Add(time.Second + time.Duration(rng.Int64N(int64(400*24*time.Hour))))
		p := Plan{Window: Window{Start: start, End: end}}
		first, last := p.Days()
		for _, at := range []time.Time{start, end.Add(-time.Second)} {
			for _, logged := range []time.Time{at, at.Add(15 * time.Minute)} {
				d := logged.Format("2006/01/02")
				if d < first || d > last {
					t.Fatalf("window %v..%v: an event at %v logged on %s is outside %s..%s", start, end, at, d, first, last)
				}
			}
		}
		if first != start.Format("2006/01/02") {
			t.Fatalf("window from %v starts its partitions at %s", start, first)
		}
	}
}

func TestDDL(t *testing.T) {
	loc, _ := ParseLocation("s3://logs/AWSLogs/o-a1b2c3d4e5/")
	ddl := DDL(Table{"trail", "cloudtrail"}, loc, DDLOptions{Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1"}, Start: "2023/01/01"})
	for _, w := range []string{
		"CREATE EXTERNAL TABLE trail.cloudtrail (", "PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)",
		"'org.apache.hive.hcatalog.data.JsonSerDe'", "'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
		"LOCATION 's3://logs/AWSLogs/o-a1b2c3d4e5/'", "'projection.enabled'='true'",
		"'projection.account.values'='111111111111,222222222222'", "'projection.region.values'='us-east-1'",
		"'projection.timestamp.format'='yyyy/MM/dd'", "'projection.timestamp.range'='2023/01/01,NOW'",
		"'storage.location.template'='s3://logs/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}'",
	} {
		if !strings.Contains(ddl, w) {
			t.Errorf("DDL lacks %q", w)
		}
	}
	for _, c := range Columns {
		if !strings.Contains(ddl, "    "+c.Name+" ") {
			t.Errorf("DDL lacks column %s", c.Name)
		}
	}
}

func TestObjectsGroupHits(t *testing.T) {
	got := Objects([]Hit{{"e1", "b", "k2"}, {"e2", "b", "k1"}, {"e3", "b", "k2"}, {"e4", "a", "k9"}})
	var keys []string
	for _, o := range got {
		keys = append(keys, fmt.Sprintf("%s/%s:%d", o.Bucket, o.Key, len(o.EventIDs)))
	}
	if want := []string{"a/k9:1", "b/k1:1", "b/k2:2"}; !slices.Equal(keys, want) {
		t.Errorf("objects %v, want %v", keys, want)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want float64
	}{{0, 0}, {1, 10 << 20 * 5e-12}, {1e12, 5}, {3e12, 15}} {
		if got := Cost(tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Cost(%d) = %g, want %g", tc.n, got, tc.want)
		}
	}
}

// fakeAthena answers a query with scripted states and pages.
type fakeAthena struct {
	states  []athenatypes.QueryExecutionState
	pages   [][][2]string
	polls   int
	stopped bool
}

func (f *fakeAthena) StartQueryExecution(context.Context, *athena.StartQueryExecutionInput, ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	return &athena.StartQueryExecutionOutput{QueryExecutionId: aws.String("q1")}, nil
}

func (f *fakeAthena) GetQueryExecution(context.Context, *athena.GetQueryExecutionInput, ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	s := f.states[min(f.polls, len(f.states)-1)]
	f.polls++
	return &athena.GetQueryExecutionOutput{QueryExecution: &athenatypes.QueryExecution{
		Status:     &athenatypes.QueryExecutionStatus{State: s, StateChangeReason: aws.String("because")},
		Statistics: &athenatypes.QueryExecutionStatistics{DataScannedInBytes: aws.Int64(int64(f.polls) * 100)},
	}}, nil
}

func (f *fakeAthena) GetQueryResults(_ context.Context, in *athena.GetQueryResultsInput, _ ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	i := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &i)
	}
	out := &athena.GetQueryResultsOutput{ResultSet: &athenatypes.ResultSet{}}
	for _, r := range f.pages[i] {
		out.ResultSet.Rows = append(out.ResultSet.Rows, athenatypes.Row{Data: []athenatypes.Datum{{VarCharValue: aws.String(r[0])}, {VarCharValue: aws.String(r[1])}}})
	}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(fmt.Sprint(i + 1))
	}
	return out, nil
}

func (f *fakeAthena) StopQueryExecution(context.Context, *athena.StopQueryExecutionInput, ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	f.stopped = true
	return &athena.StopQueryExecutionOutput{}, nil
}

func TestQueryRun(t *testing.T) {
	const (
		queued    = athenatypes.QueryExecutionStateQueued
		running   = athenatypes.QueryExecutionStateRunning
		succeeded = athenatypes.QueryExecutionStateSucceeded
		failed    = athenatypes.QueryExecutionStateFailed
	)
	t.Run("pages, header skipped", func(t *testing.T) {
		f := &fakeAthena{states: []athenatypes.QueryExecutionState{queued, running, succeeded},
			pages: [][][2]string{{{"eventid", "path"}, {"e1", "s3://b/k1"}}, {{"e2", "s3://b/k2"}}}}
		var seen []QueryStatus
		hits, st, err := Query{API: f, SQL: "x", Poll: time.Millisecond, OnStatus: func(s QueryStatus) { seen = append(seen, s) }}.Run(context.Background())
		if err != nil || len(hits) != 2 || hits[1] != (Hit{"e2", "b", "k2"}) || st.Scanned != 300 || len(seen) != 3 || seen[1].State != "RUNNING" {
			t.Errorf("hits %v, status %+v, seen %v, err %v", hits, st, seen, err)
		}
	})
	t.Run("failed", func(t *testing.T) {
		f := &fakeAthena{states: []athenatypes.QueryExecutionState{running, failed}}
		_, _, err := Query{API: f, SQL: "x", Poll: time.Millisecond}.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "because") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("a bad row", func(t *testing.T) {
		f := &fakeAthena{states: []athenatypes.QueryExecutionState{succeeded}, pages: [][][2]string{{{"e1", "/local/file"}}}}
		if _, _, err := (Query{API: f, SQL: "x"}).Run(context.Background()); err == nil {
			t.Error("no error")
		}
	})
	t.Run("interrupted: the query is stopped", func(t *testing.T) {
		f := &fakeAthena{states: []athenatypes.QueryExecutionState{running}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, _, err := Query{API: f, SQL: "x", Poll: time.Millisecond}.Run(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !f.stopped {
			t.Errorf("err %v, stopped %v", err, f.stopped)
		}
	})
}
