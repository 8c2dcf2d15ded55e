package backfill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// AthenaAPI is the part of Athena a backfill calls.
type AthenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, opts ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, opts ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

var _ AthenaAPI = (*athena.Client)(nil)

// PricePerTB is what Athena charges per terabyte (10^12 bytes) scanned, in
// US dollars (SQL queries, most Regions; Athena bills at least 10 MB per
// query).
const PricePerTB = 5.0

// Cost is the price of scanning n bytes, at PricePerTB.
func Cost(n int64) float64 {
	const minBilled = 10 << 20
	if n > 0 && n < minBilled {
		n = minBilled
	}
	return float64(n) / 1e12 * PricePerTB
}

// QueryStatus is what GetQueryExecution says of a query as it runs.
type QueryStatus struct {
	ID      string
	State   string // QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
	Scanned int64  // DataScannedInBytes so far
}

// Query runs an Athena query.
type Query struct {
	API       AthenaAPI
	SQL       string
	Database  string
	Workgroup string // "" is the workgroup "primary"
	Output    string // s3://... when the workgroup sets none
	// Poll is the delay between GetQueryExecution calls (default 1 s).
	Poll time.Duration
	// OnStatus is called after each poll.
	OnStatus func(QueryStatus)
}

// Hit is one row of the backfill's query: an event and the S3 object that
// holds its record.
type Hit struct {
	EventID string
	Bucket  string
	Key     string
}

// Run starts the query, waits for it (StopQueryExecution if ctx ends
// first) and reads every page of its results: two columns, the event ID and
// the object's s3:// URL.
func (q Query) Run(ctx context.Context) ([]Hit, QueryStatus, error) {
	st, err := q.Exec(ctx)
	if err != nil {
		return nil, st, err
	}
	hits, err := q.results(ctx, st.ID)
	return hits, st, err
}

// Exec starts the query and waits for it to succeed (StopQueryExecution if
// ctx ends first), without reading its results: for a DDL statement.
func (q Query) Exec(ctx context.Context) (QueryStatus, error) {
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(q.SQL),
		QueryExecutionContext: &athenatypes.QueryExecutionContext{Database: aws.String(q.Database)},
	}
	if q.Workgroup != "" {
		in.WorkGroup = aws.String(q.Workgroup)
	}
	if q.Output != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(q.Output)}
	}
	started, err := q.API.StartQueryExecution(ctx, in)
	if err != nil {
		return QueryStatus{}, fmt.Errorf("start the Athena query: %w", err)
	}
	st := QueryStatus{ID: aws.ToString(started.QueryExecutionId), State: "QUEUED"}
	poll := q.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		out, err := q.API.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(st.ID)})
		if err != nil {
			q.stop(st.ID)
			return st, fmt.Errorf("follow Athena query %s: %w", st.ID, err)
		}
		qe := out.QueryExecution
		var reason string
		if qe != nil && qe.Status != nil {
			st.State = string(qe.Status.State)
			reason = aws.ToString(qe.Status.StateChangeReason)
			if qe.Status.AthenaError != nil && reason == "" {
				reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
			}
		}
		if qe != nil && qe.Statistics != nil {
			st.Scanned = aws.ToInt64(qe.Statistics.DataScannedInBytes)
		}
		if q.OnStatus != nil {
			q.OnStatus(st)
		}
		switch athenatypes.QueryExecutionState(st.State) {
		case athenatypes.QueryExecutionStateSucceeded:
			return st, nil
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			return st, fmt.Errorf("Athena query %s %s: %s", st.ID, strings.ToLower(st.State), reason)
		}
		select {
		case <-ctx.Done():
			q.stop(st.ID)
			return st, fmt.Errorf("Athena query %s stopped: %w", st.ID, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// stop cancels a query left behind, so that it stops scanning (and costing).
func (q Query) stop(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q.API.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
}

// results reads every page; the first row of the first page is the header.
func (q Query) results(ctx context.Context, id string) ([]Hit, error) {
	var hits []Hit
	in := &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1000)}
	first := true
	for {
		out, err := q.API.GetQueryResults(ctx, in)
		if err != nil {
			return hits, fmt.Errorf("read the results of Athena query %s: %w", id, err)
		}
		if out.ResultSet != nil {
			rows := out.ResultSet.Rows
			if first && len(rows) > 0 && isHeader(rows[0]) {
				rows = rows[1:]
			}
			for i, r := range rows {
				h, err := hit(r)
				if err != nil {
					return hits, fmt.Errorf("Athena query %s, result row %d: %w", id, len(hits)+i+1, err)
				}
				hits = append(hits, h)
			}
		}
		first = false
		if out.NextToken == nil || *out.NextToken == "" {
			return hits, nil
		}
		in.NextToken = out.NextToken
	}
}

func isHeader(r athenatypes.Row) bool {
	return len(r.Data) == 2 && aws.ToString(r.Data[0].VarCharValue) == "eventid" && aws.ToString(r.Data[1].VarCharValue) == "path"
}

func hit(r athenatypes.Row) (Hit, error) {
	if len(r.Data) != 2 {
		return Hit{}, fmt.Errorf("%d columns, want 2 (eventid, path)", len(r.Data))
	}
	id, url := aws.ToString(r.Data[0].VarCharValue), aws.ToString(r.Data[1].VarCharValue)
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" || id == "" {
		return Hit{}, fmt.Errorf("event %q in object %q: want an event ID and an s3:// URL", id, url)
	}
	return Hit{EventID: id, Bucket: bucket, Key: key}, nil
}
