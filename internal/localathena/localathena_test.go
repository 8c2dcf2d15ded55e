package localathena

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/ebsguard/ebsguard/internal/backfill"
	"github.com/ebsguard/ebsguard/internal/orgtrail"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

const (
	testBucket = "org-trail"
	testOrg    = "o-a1b2c3d4e5"
)

var (
	testAccounts = []string{"310000000001", "310000000002", "310000000003"}
	testRegions  = []string{"us-east-1", "eu-west-1"}
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture writes a small organization trail over three months and serves it.
func fixture(t *testing.T) (*Server, orgtrail.Summary, string) {
	t.Helper()
	root := t.TempDir()
	sum, err := orgtrail.Write(root, orgtrail.Options{
		Org: testOrg, Accounts: testAccounts, Regions: testRegions,
		Days:        []time.Time{day("2024-01-15"), day("2024-01-31"), day("2024-02-10"), day("2024-03-05")},
		FilesPerDay: 4, RecordsPerFile: 40, Relevant: 0.1, HotFiles: 0.5,
		SamplesDir: filepath.Join("..", "..", "events", "samples"),
		Samples:    []string{"launch-encrypted-shared", "copy-encrypted-owned", "volume-unencrypted-plain"},
		Seed:       1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := New(ctx, Config{Root: root, Bucket: testBucket, Buckets: []string{"results"}, Workgroups: map[string]string{"ebsguard": "s3://results/athena/"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.AddTable(ctx, backfill.Table{Database: "trail", Name: "cloudtrail"}, "s3://"+testBucket+"/AWSLogs/"+testOrg+"/"); err != nil {
		t.Fatal(err)
	}
	return s, sum, root
}

func testConfig(url string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")}
}

// relevantIn reads the trail's files as replay would and returns the event
// IDs of the kinds' successful calls in the window, accounts and Regions.
func relevantIn(t *testing.T, root string, w backfill.Window, accounts, regions []string) []string {
	var ids []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dec, err := ct.NewDecoder(f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range backfill.Events() {
			names = append(names, e.Name)
		}
		dec.Scope(names)
		for {
			it, ok := dec.Next()
			if !ok {
				break
			}
			r := it.Record
			tm, _ := r.ParsedTime()
			if r.ErrorCode != "" || tm.Before(w.Start) || !tm.Before(w.End) ||
				(accounts != nil && !slices.Contains(accounts, r.Account())) || (regions != nil && !slices.Contains(regions, string(r.AWSRegion))) {
				continue
			}
			ids = append(ids, string(r.EventID))
		}
		return nil
	})
	slices.Sort(ids)
	return ids
}

// The query backfill sends runs unchanged on DuckDB and names exactly the
// relevant records of the window, accounts and Regions; the bytes scanned are
// those of the partitions the predicates leave.
func TestQueryNamesTheRelevantRecords(t *testing.T) {
	s, sum, root := fixture(t)
	if sum.Relevant == 0 {
		t.Fatal("the trail holds no relevant record")
	}
	cfg := testConfig(s.URL())
	api := athena.NewFromConfig(cfg)
	_, total := s.TrailBytes()
	for _, tc := range []struct {
		name              string
		window            backfill.Window
		accounts, regions []string
		wantAll           bool // every partition scanned
	}{
		{name: "everything", window: backfill.Window{Start: day("2024-01-01"), End: day("2024-04-01")}, wantAll: true},
		{name: "one month", window: backfill.Window{Start: day("2024-02-01"), End: day("2024-03-01")}},
		{name: "an account and a Region", window: backfill.Window{Start: day("2024-01-01"), End: day("2024-04-01")},
			accounts: testAccounts[1:2], regions: testRegions[1:]},
		{name: "part of a day", window: backfill.Window{Start: day("2024-01-31").Add(2 * time.Hour), End: day("2024-01-31").Add(20 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := backfill.Plan{Table: backfill.Table{Database: "trail", Name: "cloudtrail"}, Window: tc.window, Accounts: tc.accounts, Regions: tc.regions, Events: backfill.Events()}
			var states []string
			hits, st, err := backfill.Query{API: api, SQL: plan.SQL(), Database: "trail", Workgroup: "ebsguard", Poll: 10 * time.Millisecond,
				OnStatus: func(q backfill.QueryStatus) { states = append(states, q.State) }}.Run(context.Background())
			if err != nil {
				t.Fatalf("%v\n%s", err, plan.SQL())
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.EventID)
				if h.Bucket != testBucket {
					t.Errorf("hit in bucket %q", h.Bucket)
				}
			}
			slices.Sort(got)
			want := relevantIn(t, root, tc.window, tc.accounts, tc.regions)
			if !slices.Equal(got, want) {
				t.Errorf("query named %d events, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			if st.State != "SUCCEEDED" || states[len(states)-1] != "SUCCEEDED" {
				t.Errorf("state %s (%v)", st.State, states)
			}
			if tc.wantAll && st.Scanned != total {
				t.Errorf("scanned %d bytes, want the whole trail's %d", st.Scanned, total)
			}
			if !tc.wantAll && (st.Scanned <= 0 || st.Scanned >= total) {
				t.Errorf("scanned %d bytes of %d: the partition predicates did not prune", st.Scanned, total)
			}
		})
	}
}

// The Glue table describes the location and projection, and the estimate
// from S3 sizes of the partitions' prefixes matches what the query scans.
func TestEstimateMatchesScan(t *testing.T) {
	s, _, _ := fixture(t)
	cfg := testConfig(s.URL())
	ctx := context.Background()
	table := backfill.Table{Database: "trail", Name: "cloudtrail"}
	info, err := backfill.Describe(ctx, glue.NewFromConfig(cfg), table)
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://" + testBucket + "/AWSLogs/" + testOrg + "/${account}/CloudTrail/${region}/${timestamp}"; info.Template != want {
		t.Errorf("template %q, want %q", info.Template, want)
	}
	plan := backfill.Plan{Table: table, Window: backfill.Window{Start: day("2024-01-20"), End: day("2024-02-28")}, Regions: []string{"eu-west-1"}, Events: backfill.Events()}
	prefixes, err := plan.Prefixes(info)
	if err != nil {
		t.Fatal(err)
	}
	s3api := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	var est int64
	for _, p := range prefixes {
		_, n, err := p.Size(ctx, s3api)
		if err != nil {
			t.Fatal(err)
		}
		est += n
	}
	_, st, err := backfill.Query{API: athena.NewFromConfig(cfg), SQL: plan.SQL(), Database: "trail", Workgroup: "ebsguard", Poll: 10 * time.Millisecond}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if est != st.Scanned || est == 0 {
		t.Errorf("estimate %d bytes, query scanned %d", est, st.Scanned)
	}
}

// Athena's errors: no output location, an unknown workgroup, a failing query.
func TestAthenaErrors(t *testing.T) {
	s, _, _ := fixture(t)
	api := athena.NewFromConfig(testConfig(s.URL()))
	ctx := context.Background()
	q := backfill.Query{API: api, SQL: "SELECT 1", Database: "trail", Poll: 10 * time.Millisecond}
	if _, _, err := q.Run(ctx); err == nil {
		t.Error("no output location: no error")
	}
	q.Workgroup = "nope"
	if _, _, err := q.Run(ctx); err == nil {
		t.Error("unknown workgroup: no error")
	}
	q.Workgroup, q.SQL = "ebsguard", "SELECT eventid, \"$path\" AS path FROM trail.nosuchtable"
	if _, st, err := q.Run(ctx); err == nil || st.State != "FAILED" {
		t.Errorf("bad query: state %s, error %v", st.State, err)
	}
}

func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// A query interrupted by the client is stopped (StopQueryExecution) and
// ends CANCELLED; a finished one left its results as CSV at the output
// location.
func TestStopAndResults(t *testing.T) {
	s, _, _ := fixture(t)
	s.SetMinRunTime(5 * time.Second)
	cfg := testConfig(s.URL())
	api := athena.NewFromConfig(cfg)
	plan := backfill.Plan{Table: backfill.Table{Database: "trail", Name: "cloudtrail"}, Window: backfill.Window{Start: day("2024-01-01"), End: day("2024-04-01")}, Events: backfill.Events()}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, st, err := backfill.Query{API: api, SQL: plan.SQL(), Database: "trail", Workgroup: "ebsguard", Poll: 20 * time.Millisecond}.Run(ctx)
	if err == nil {
		t.Fatal("no error")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := api.GetQueryExecution(context.Background(), &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(st.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if state := string(out.QueryExecution.Status.State); state == "CANCELLED" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("state %s, want CANCELLED", state)
		}
		time.Sleep(20 * time.Millisecond)
	}

	s.SetMinRunTime(0)
	hits, st, err := backfill.Query{API: api, SQL: plan.SQL(), Database: "trail", Workgroup: "ebsguard", Poll: 10 * time.Millisecond}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String("results"), Key: aws.String("athena/" + st.ID + ".csv")})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	b, _ := io.ReadAll(got.Body)
	if lines := strings.Count(string(b), "\n"); lines != len(hits)+1 || !strings.HasPrefix(string(b), "eventid,path\n") {
		t.Errorf("results CSV: %d lines for %d hits:\n%.200s", lines, len(hits), b)
	}
}
