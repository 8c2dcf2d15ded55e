package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// splitAthena succeeds every query at once, scanning 1 GB, with no row.
type splitAthena struct {
	sql      []string
	startErr error
}

func (f *splitAthena) StartQueryExecution(_ context.Context, in *athena.StartQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.sql = append(f.sql, aws.ToString(in.QueryString))
	return &athena.StartQueryExecutionOutput{QueryExecutionId: aws.String(fmt.Sprintf("q%d", len(f.sql)))}, nil
}

func (f *splitAthena) GetQueryExecution(_ context.Context, in *athena.GetQueryExecutionInput, _ ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	return &athena.GetQueryExecutionOutput{QueryExecution: &athenatypes.QueryExecution{
		Status:     &athenatypes.QueryExecutionStatus{State: athenatypes.QueryExecutionStateSucceeded},
		Statistics: &athenatypes.QueryExecutionStatistics{DataScannedInBytes: aws.Int64(1e9)}}}, nil
}

func (f *splitAthena) GetQueryResults(context.Context, *athena.GetQueryResultsInput, ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	return &athena.GetQueryResultsOutput{ResultSet: &athenatypes.ResultSet{}}, nil
}

func (f *splitAthena) StopQueryExecution(context.Context, *athena.StopQueryExecutionInput, ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	return &athena.StopQueryExecutionOutput{}, nil
}

// orgTable projects n accounts in r Regions.
type orgTable struct{ n, r int }

func (g orgTable) GetTable(_ context.Context, in *glue.GetTableInput, _ ...func(*glue.Options)) (*glue.GetTableOutput, error) {
	if aws.ToString(in.Name) != "cloudtrail" {
		return nil, fmt.Errorf("EntityNotFoundException: Table %s not found.", aws.ToString(in.Name))
	}
	var a, r []string
	for i := range g.n {
		a = append(a, fmt.Sprintf("%012d", 100000000000+i))
	}
	for i := range g.r {
		r = append(r, fmt.Sprintf("xx-test-%d", i+1))
	}
	return &glue.GetTableOutput{Table: &gluetypes.Table{Parameters: map[string]string{
		"projection.account.values": strings.Join(a, ","), "projection.region.values": strings.Join(r, ","),
		"storage.location.template": "s3://b/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}"}}}, nil
}

type noS3 struct{}

func (noS3) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return nil, fmt.Errorf("no object")
}

func (noS3) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return &s3.ListObjectsV2Output{}, nil
}

// Two years of 150 accounts in 17 Regions project 1.9 million partitions:
// Athena would refuse the one query (more than a million), so backfill
// runs two, one after the other, and sums what they scanned. Named accounts
// need one; a table that does not exist is said so before any query.
func TestBackfillSplitsPastThePartitionLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eval := func(context.Context, ct.Item) verify.Verdict { return verify.Verdict{} }
	for _, tc := range []struct {
		name    string
		args    []string
		err     error
		queries int
		code    int
		summary string
	}{
		{"two years, every account", []string{"--since", "2024-01-01"}, nil, 2, 0, "2 queries (Athena projects at most 1000000 partitions a query), the last q2: SUCCEEDED"},
		{"two years, two accounts", []string{"--since", "2024-01-01", "--accounts", "111111111111,222222222222"}, nil, 1, 0, "query q1: SUCCEEDED"},
		{"no such table", []string{"--athena-table", "trail.nope", "--since", "2024-01-01"}, nil, 0, 1, "Table nope not found. (backfill --create-table writes the table)"},
		{"no output location", []string{"--since", "2024-01-01", "--accounts", "111111111111"},
			fmt.Errorf("start query: %w", &athenatypes.InvalidRequestException{Message: aws.String("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")}), 0, 1,
			"as an API input. (if the workgroup sets no output location, name one with --output s3://BUCKET/PREFIX/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--athena-table", "trail.cloudtrail", "--format", "json"}, tc.args...)
			o, err := parseBackfill(args, now, false)
			if err != nil {
				t.Fatal(err)
			}
			at := &splitAthena{startErr: tc.err}
			var stdout, stderr bytes.Buffer
			rep, code := runBackfill(context.Background(), backfillEnv{athena: at, glue: orgTable{150, 17}, s3: noS3{}, eval: eval, poll: time.Millisecond},
				o, &jsonOutput{w: &stdout}, nil, &stderr)
			if code != tc.code || len(at.sql) != tc.queries || !strings.Contains(stderr.String(), tc.summary) {
				t.Fatalf("exit %d (want %d), %d queries (want %d), stderr:\n%s", code, tc.code, len(at.sql), tc.queries, stderr.String())
			}
			if want := int64(tc.queries) * 1e9; rep.query.Scanned != want {
				t.Errorf("scanned %d, want %d (every query's)", rep.query.Scanned, want)
			}
		})
	}
}
