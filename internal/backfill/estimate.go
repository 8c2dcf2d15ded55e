package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// GlueAPI is the part of the Glue Data Catalog a backfill reads: the table's
// location and projection, for --dry-run.
type GlueAPI interface {
	GetTable(ctx context.Context, in *glue.GetTableInput, opts ...func(*glue.Options)) (*glue.GetTableOutput, error)
}

var _ GlueAPI = (*glue.Client)(nil)

// TableInfo is what the catalog says of the trail's table.
type TableInfo struct {
	Template string   // storage.location.template (or LOCATION + the CloudTrail layout)
	Accounts []string // projection.account.values
	Regions  []string // projection.region.values
}

// Describe reads the table's location and its projection's accounts and
// Regions.
func Describe(ctx context.Context, api GlueAPI, t Table) (TableInfo, error) {
	out, err := api.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String(t.Database), Name: aws.String(t.Name)})
	if err != nil {
		return TableInfo{}, fmt.Errorf("read table %s from the Glue Data Catalog: %w", t, err)
	}
	if out.Table == nil {
		return TableInfo{}, fmt.Errorf("table %s: the Glue Data Catalog returned no table", t)
	}
	p := out.Table.Parameters
	info := TableInfo{Template: p["storage.location.template"]}
	if info.Template == "" && out.Table.StorageDescriptor != nil {
		loc := strings.TrimSuffix(aws.ToString(out.Table.StorageDescriptor.Location), "/")
		info.Template = loc + "/${" + PartitionAccount + "}/CloudTrail/${" + PartitionRegion + "}/${" + PartitionDate + "}"
	}
	if !strings.HasPrefix(info.Template, "s3://") {
		return TableInfo{}, fmt.Errorf("table %s has no s3:// location", t)
	}
	split := func(s string) []string {
		var out []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	info.Accounts = split(p["projection."+PartitionAccount+".values"])
	info.Regions = split(p["projection."+PartitionRegion+".values"])
	return info, nil
}

// Prefix is the S3 prefix of one partition group: an account and Region's
// logs of one month, of which the days from First to Last (yyyy/MM/dd) are
// in the plan.
type Prefix struct {
	Bucket, Prefix string
	Account        string
	Region         string
	First, Last    string
}

// Prefixes lists the account, Region and month prefixes the plan's
// partitions lie under.
func (p Plan) Prefixes(info TableInfo) ([]Prefix, error) {
	accounts, regions := p.Accounts, p.Regions
	if len(accounts) == 0 {
		accounts = info.Accounts
	}
	if len(regions) == 0 {
		regions = info.Regions
	}
	if len(accounts) == 0 || len(regions) == 0 {
		return nil, fmt.Errorf("name --accounts and --regions: the table projects no list of accounts or Regions to estimate from")
	}
	first, last := p.Days()
	start, _ := time.Parse("2006/01/02", first)
	end, _ := time.Parse("2006/01/02", last)
	var out []Prefix
	for _, a := range accounts {
		for _, r := range regions {
			loc := strings.NewReplacer("${"+PartitionAccount+"}", a, "${"+PartitionRegion+"}", r).Replace(info.Template)
			loc, ok := strings.CutSuffix(loc, "${"+PartitionDate+"}")
			if !ok || strings.Contains(loc, "${") {
				return nil, fmt.Errorf("storage.location.template %q: want ...${%s}...${%s}.../${%s}", info.Template, PartitionAccount, PartitionRegion, PartitionDate)
			}
			bucket, key, _ := strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
			for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(end); m = m.AddDate(0, 1, 0) {
				f, l := m, m.AddDate(0, 1, -1)
				if f.Before(start) {
					f = start
				}
				if l.After(end) {
					l = end
				}
				out = append(out, Prefix{Bucket: bucket, Prefix: key + m.Format("2006/01/"), Account: a, Region: r,
					First: f.Format("2006/01/02"), Last: l.Format("2006/01/02")})
			}
		}
	}
	return out, nil
}

// Size sums the sizes of the objects of a prefix's days: what Athena scans
// of it.
func (x Prefix) Size(ctx context.Context, api S3API) (objects, bytes int64, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(x.Bucket), Prefix: aws.String(x.Prefix)}
	for {
		out, err := api.ListObjectsV2(ctx, in)
		if err != nil {
			return objects, bytes, fmt.Errorf("list s3://%s/%s: %w", x.Bucket, x.Prefix, err)
		}
		for _, o := range out.Contents {
			day := dayOf(x.Prefix, aws.ToString(o.Key))
			if day >= x.First && day <= x.Last {
				objects++
				bytes += aws.ToInt64(o.Size)
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return objects, bytes, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// dayOf reads yyyy/MM/dd of a key under a month prefix ".../yyyy/MM/".
func dayOf(monthPrefix, key string) string {
	rest := strings.TrimPrefix(key, monthPrefix)
	if len(rest) < 2 || len(monthPrefix) < 8 {
		return ""
	}
	return monthPrefix[len(monthPrefix)-8:] + rest[:2]
}

// PrefixSize is what Size found under a prefix.
type PrefixSize struct {
	Prefix
	Objects, Bytes int64
}

// Sizes lists the prefixes, at most parallel at once (years of an
// organization are tens of thousands of account, Region and month
// prefixes: listed one after another they took hours), and returns their
// sizes in the order of the prefixes, or the first error.
func Sizes(ctx context.Context, api S3API, prefixes []Prefix, parallel int) ([]PrefixSize, error) {
	if parallel <= 0 {
		parallel = 8
	}
	run, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]PrefixSize, len(prefixes))
	errs := make([]error, len(prefixes))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(prefixes)) {
		wg.Go(func() {
			for i := range next {
				n, b, err := prefixes[i].Size(run, api)
				out[i], errs[i] = PrefixSize{Prefix: prefixes[i], Objects: n, Bytes: b}, err
				if err != nil {
					cancel()
				}
			}
		})
	}
feed:
	for i := range prefixes {
		select {
		case next <- i:
		case <-run.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	// The first error that is not another listing's cancellation.
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
		case !errors.Is(err, context.Canceled):
			return out, err
		case first == nil:
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return out, first
}
