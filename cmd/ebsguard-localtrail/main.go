// Command ebsguard-localtrail writes an organization trail and serves it the
// way `ebsguard backfill` reads one, on loopback: Athena (DuckDB), Glue and S3
// (gofakes3) from internal/localathena, and EC2, KMS, STS from localaws over
// the trail's world. For `make backfill-local` and the bench; never part of
// the Lambda or of the ebsguard command.
//
//	ebsguard-localtrail -dir DIR -generate [-accounts 3] [-regions us-east-1,eu-west-1] [-months 3]
//	    [-days 4] [-files 4] [-records 200] [-relevant 0.02] [-hot 0.1]
//	ebsguard-localtrail -dir DIR -serve -env FILE
//
// -generate writes DIR/trail (the bucket's objects) and DIR/world.json and
// prints "files records relevant bytes". -serve serves them until
// interrupted, after writing to FILE the variables that point the CLI at
// them (export lines, for the shell's source).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ebsguard/ebsguard/internal/backfill"
	"github.com/ebsguard/ebsguard/internal/localathena"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/orgtrail"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// The layout the make targets and the bench use.
const (
	Bucket          = "org-trail"
	Org             = "o-a1b2c3d4e5"
	Table           = "trail.cloudtrail"
	Workgroup       = "ebsguard"
	ResultsBucket   = "ebsguard-athena-results"
	securityAccount = "444444444444"
)

func main() {
	dir := flag.String("dir", "", "the folder of the trail (DIR/trail) and its world (DIR/world.json)")
	generate := flag.Bool("generate", false, "write the trail and its world")
	serve := flag.Bool("serve", false, "serve them")
	envFile := flag.String("env", "", "with -serve: write the CLI's environment here")
	nAccounts := flag.Int("accounts", 3, "member accounts")
	regions := flag.String("regions", "us-east-1,eu-west-1", "Regions")
	months := flag.Int("months", 3, "months, from January 2024")
	days := flag.Int("days", 4, "days with logs per month")
	files := flag.Int("files", 4, "log files per account, Region and day")
	records := flag.Int("records", 200, "records per log file")
	relevant := flag.Float64("relevant", 0.02, "share of the records that are relevant")
	hot := flag.Float64("hot", 0.1, "share of the files that hold the relevant records")
	samples := flag.String("samples", "launch-encrypted-shared,copy-encrypted-owned,volume-unencrypted-plain,snapcopy-unencrypted-plain", "sample events the relevant records copy")
	samplesDir := flag.String("samples-dir", "events/samples", "")
	queryTime := flag.Duration("query-time", 0, "with -serve: keep each query running at least this long (to watch the progress line)")
	flag.Parse()
	if *dir == "" || *generate == *serve {
		fmt.Fprintln(os.Stderr, "usage: ebsguard-localtrail -dir DIR (-generate [...] | -serve -env FILE)")
		os.Exit(2)
	}
	var err error
	if *generate {
		var accts []string
		for i := range *nAccounts {
			accts = append(accts, fmt.Sprintf("3100000000%02d", i+1))
		}
		var ds []time.Time
		for m := range *months {
			for d := range *days {
				ds = append(ds, time.Date(2024, time.Month(1+m), 1 + d*28 / *days, 0, 0, 0, 0, time.UTC))
			}
		}
		err = gen(*dir, orgtrail.Options{Org: Org, Accounts: accts, Regions: strings.Split(*regions, ","), Days: ds,
			FilesPerDay: *files, RecordsPerFile: *records, Relevant: *relevant, HotFiles: *hot,
			SamplesDir: *samplesDir, Samples: strings.Split(*samples, ","), Seed: 7})
	} else {
		err = run(*dir, *envFile, *queryTime)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ebsguard-localtrail:", err)
		os.Exit(1)
	}
}

func gen(dir string, o orgtrail.Options) error {
	root := filepath.Join(dir, "trail")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	sum, err := orgtrail.Write(root, o)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "world.json"), sum.World, 0o644); err != nil {
		return err
	}
	fmt.Println(sum.Files, sum.Records, sum.Relevant, sum.Bytes)
	return nil
}

func run(dir, envFile string, queryTime time.Duration) error {
	if envFile == "" {
		return fmt.Errorf("-serve needs -env FILE")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := world.Load(filepath.Join(dir, "world.json"))
	if err != nil {
		return err
	}
	aws := localaws.New(w, securityAccount)
	if err := aws.Start(""); err != nil {
		return err
	}
	defer aws.Close()
	at, err := localathena.New(ctx, localathena.Config{Root: filepath.Join(dir, "trail"), Bucket: Bucket, Buckets: []string{ResultsBucket},
		Workgroups: map[string]string{Workgroup: "s3://" + ResultsBucket + "/athena/"}, MinRunTime: queryTime})
	if err != nil {
		return err
	}
	if err := at.Start(""); err != nil {
		return err
	}
	defer at.Close()
	table, _ := backfill.ParseTable(Table)
	if err := at.AddTable(ctx, table, "s3://"+Bucket+"/AWSLogs/"+Org+"/"); err != nil {
		return err
	}
	var b strings.Builder
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": localaws.AccessKeyFor(securityAccount), "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL_ATHENA":   at.URL(), "AWS_ENDPOINT_URL_GLUE": at.URL(), "AWS_ENDPOINT_URL_S3": at.URL(),
		"AWS_ENDPOINT_URL_EC2": aws.URL(), "AWS_ENDPOINT_URL_KMS": aws.URL(), "AWS_ENDPOINT_URL_STS": aws.URL(),
		"AWS_ENDPOINT_URL_ORGANIZATIONS": aws.URL(), "AWS_ENDPOINT_URL_SECURITYHUB": aws.URL(),
	} {
		fmt.Fprintf(&b, "export %s=%q\n", k, v)
	}
	// Written whole, then renamed: a script waiting for the file never
	// reads half of it.
	if err := os.WriteFile(envFile+".tmp", []byte(b.String()), 0o644); err != nil {
		return err
	}
	if err := os.Rename(envFile+".tmp", envFile); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
