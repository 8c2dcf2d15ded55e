package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/internal/backfill"
)

func TestParseBackfill(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	table := []string{"--athena-table", "trail.cloudtrail"}
	tests := []struct {
		name    string
		args    []string
		check   func(backfillOptions) bool
		wantErr string
	}{
		{"defaults", table, func(o backfillOptions) bool {
			p := o.plan()
			return p.Window.Start.Equal(now.Add(-90*24*time.Hour)) && p.Window.End.Equal(now) && p.Accounts == nil && p.Regions == nil &&
				o.format == "json" && o.parallel == 16 && o.workgroup == "" && p.Table.String() == "trail.cloudtrail"
		}, ""},
		{"years back, named accounts and Regions", append([]string{"--since", "2021-01-01", "--accounts", "222222222222", "--regions", "eu-west-1"}, table...),
			func(o backfillOptions) bool {
				p := o.plan()
				return p.Window.Start.Year() == 2021 && len(p.Accounts) == 1 && len(p.Regions) == 1
			}, ""},
		{"all is every partition", append([]string{"--accounts", "all", "--regions", "all"}, table...),
			func(o backfillOptions) bool { p := o.plan(); return p.Accounts == nil && p.Regions == nil }, ""},
		{"workgroup and output", append([]string{"--workgroup", "sec", "--output", "s3://results/x/"}, table...),
			func(o backfillOptions) bool { return o.workgroup == "sec" && o.output == "s3://results/x/" }, ""},
		{"create table", append([]string{"--create-table", "s3://logs/AWSLogs/o-a1b2c3d4e5/", "--accounts", "222222222222", "--regions", "us-east-1", "--apply"}, table...),
			func(o backfillOptions) bool { return o.apply && o.createTable != "" }, ""},
		{"no table", nil, nil, "--athena-table"},
		{"bad table", []string{"--athena-table", "x"}, nil, "DATABASE.TABLE"},
		{"bad output", append([]string{"--output", "results/"}, table...), nil, "s3://"},
		{"apply alone", append([]string{"--apply"}, table...), nil, "--create-table"},
		{"create table without partitions", append([]string{"--create-table", "s3://logs/AWSLogs/"}, table...), nil, "--accounts and --regions"},
		{"create table elsewhere", append([]string{"--create-table", "s3://logs/trail/", "--accounts", "all", "--regions", "all"}, table...), nil, "AWSLogs"},
		{"bad account", append([]string{"--accounts", "12"}, table...), nil, "12-digit"},
		{"empty window", append([]string{"--since", "1d", "--until", "2d"}, table...), nil, "is not before"},
		{"a path", append(table, "trail/"), nil, "replay reads files"},
		{"bad parallel", append([]string{"--parallel", "0"}, table...), nil, "--parallel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseBackfill(tt.args, now, false)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v; want %q", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}

func TestBackfillUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"backfill", "--help"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "--create-table") {
		t.Errorf("help: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"backfill"}, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Errorf("no table: exit %d, want 2", code)
	}
}

func TestBackfillLine(t *testing.T) {
	var r backfill.ReadStats
	r.Objects.Store(3)
	r.Bytes.Store(2_500_000)
	r.Records.Store(40)
	q := backfill.QueryStatus{State: "RUNNING", Scanned: 2_000_000_000_000}
	if got, want := backfillLine(q, false, &r, 0, 0, 12*time.Second), "query RUNNING  scanned 2.0 TB ($10.0000)  12s"; got != want {
		t.Errorf("querying: %q, want %q", got, want)
	}
	q.State = "SUCCEEDED"
	got := backfillLine(q, true, &r, 38, 2, 75*time.Second)
	for _, want := range []string{"query SUCCEEDED", "objects 3/0", "read 2.5 MB", "records 40", "evaluated 38", "violations 2", "75s"} {
		if !strings.Contains(got, want) {
			t.Errorf("reading: %q lacks %q", got, want)
		}
	}
}

func TestBytesText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_234_567: "1.2 MB", 5e12: "5.0 TB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}
