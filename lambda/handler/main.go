// Command handler is the ebsguard Lambda function: EventBridge delivers
// CopyImage and RunInstances CloudTrail records; the function evaluates them
// and publishes violations to SNS.
//
// Configuration (environment):
//
//	TOPIC_ARN         SNS topic for violations (required)
//	EBSGUARD_POLICY   the policy document as JSON (optional; formats.md §3)
//	READER_ROLE_NAME  role assumed in other accounts (default ebsguard-reader)
//	CACHE_TTL         how long account settings, key resolutions, images and snapshots are reused (default 10m)
//	RECHECK_QUEUE_URL the SQS queue of re-checks (results not visible yet)
//	RECHECK_BACKOFF   delays between re-checks (default 1m,2m,5m,10m,15m; the last repeats)
//	RECHECK_DEADLINE  how long re-checks go on (default 49h)
//	LOG_LEVEL         DEBUG, INFO (default), WARN or ERROR
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Config is the function's configuration, read once at cold start.
type Config struct {
	TopicARN        string
	Policy          verify.Policy
	ReaderRole      string
	CacheTTL        time.Duration
	RecheckQueueURL string
	Schedule        recheck.Schedule
	LogLevel        slog.Level
}

// configFromEnv reads and validates the configuration.
func configFromEnv(getenv func(string) string) (Config, error) {
	c := Config{TopicARN: getenv(deployment.EnvTopicARN), ReaderRole: getenv(deployment.EnvReaderRole), CacheTTL: 10 * time.Minute,
		RecheckQueueURL: getenv(deployment.EnvRecheckQueueURL)}
	if c.TopicARN == "" {
		return c, fmt.Errorf("%s is not set", deployment.EnvTopicARN)
	}
	if doc := getenv(deployment.EnvPolicy); doc != "" {
		p, err := verify.ParsePolicy([]byte(doc))
		if err != nil {
			return c, fmt.Errorf("%s: %w", deployment.EnvPolicy, err)
		}
		c.Policy = p
	}
	if s := getenv(deployment.EnvCacheTTL); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return c, fmt.Errorf("%s: %w", deployment.EnvCacheTTL, err)
		}
		c.CacheTTL = d
	}
	var err error
	if c.Schedule, err = recheck.ParseSchedule(getenv(deployment.EnvRecheckBackoff), getenv(deployment.EnvRecheckDeadline)); err != nil {
		return c, err
	}
	if s := getenv("LOG_LEVEL"); s != "" {
		if err := c.LogLevel.UnmarshalText([]byte(s)); err != nil {
			return c, fmt.Errorf("LOG_LEVEL: %w", err)
		}
	}
	return c, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	log = slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: lambdacontext.ReplaceAttr}))
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	h := &Handler{
		engine:    verify.New(verify.Config{Clients: accounts.New(awsCfg, cfg.ReaderRole), Policy: cfg.Policy, CacheTTL: cfg.CacheTTL}),
		publisher: notify.New(sns.NewFromConfig(awsCfg), cfg.TopicARN),
		schedule:  cfg.Schedule,
		log:       log,
		now:       time.Now,
		sleep:     sleepContext,
	}
	if cfg.RecheckQueueURL != "" {
		h.queue = recheck.NewQueue(sqs.NewFromConfig(awsCfg), cfg.RecheckQueueURL)
	} else {
		log.Warn("no re-check queue configured: results not visible at the first look are not checked again", "variable", deployment.EnvRecheckQueueURL)
	}
	lambda.Start(h.Handle)
}
