// Command handler is the ebsguard Lambda function: EventBridge delivers the
// CloudTrail records of every kind of the rules' registry (RunInstances,
// CopyImage, CreateVolume, CopySnapshot), and its own SQS queue delivers
// re-checks; the function evaluates them, publishes violations and
// operational notices to SNS (and, opted in, findings to Security Hub), and
// queues results that are not visible yet.
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
//	SECURITY_HUB      "true" imports findings into Security Hub
//	DELIVERY_TABLE    the DynamoDB table of published findings (exactly once per finding)
//	EVENT_BUS_NAME    the EventBridge bus findings and notices are put on (optional)
//	NOTICE_WINDOW_TABLE the DynamoDB table of notice windows (optional; needs RECHECK_QUEUE_URL)
//	NOTICE_WINDOW     how long notices of one error class, account and Region are aggregated (default 1h)
//	LOG_LEVEL         DEBUG, INFO (default), WARN or ERROR
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssecurityhub "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
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
	SecurityHub     bool
	DeliveryTable   string
	EventBus        string
	NoticeTable     string
	NoticeWindow    time.Duration
	LogLevel        slog.Level
}

// configFromEnv reads and validates the configuration.
func configFromEnv(getenv func(string) string) (Config, error) {
	c := Config{TopicARN: getenv(deployment.EnvTopicARN), ReaderRole: getenv(deployment.EnvReaderRole), CacheTTL: 10 * time.Minute,
		RecheckQueueURL: getenv(deployment.EnvRecheckQueueURL), DeliveryTable: getenv(deployment.EnvDeliveryTable),
		EventBus: getenv(deployment.EnvEventBus), NoticeTable: getenv(deployment.EnvNoticeWindowTable), NoticeWindow: deployment.DefaultNoticeWindow}
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
	if s := getenv(deployment.EnvSecurityHub); s != "" {
		if c.SecurityHub, err = strconv.ParseBool(s); err != nil {
			return c, fmt.Errorf("%s: %w", deployment.EnvSecurityHub, err)
		}
	}
	if c.Schedule, err = recheck.ParseSchedule(getenv(deployment.EnvRecheckBackoff), getenv(deployment.EnvRecheckDeadline)); err != nil {
		return c, err
	}
	if c.Schedule.Deadline > deployment.MaxRecheckDeadline {
		// The re-check queue would drop a message before its deadline.
		return c, fmt.Errorf("%s %s: at most %s, the re-check queue's retention less a day", deployment.EnvRecheckDeadline, c.Schedule.Deadline, deployment.MaxRecheckDeadline)
	}
	if s := getenv(deployment.EnvNoticeWindow); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute {
			return c, fmt.Errorf("%s %q: a duration of at least 1m", deployment.EnvNoticeWindow, s)
		}
		c.NoticeWindow = d
	}
	if c.NoticeTable != "" && c.RecheckQueueURL == "" {
		return c, fmt.Errorf("%s needs %s: a window's notice is sent when the queue brings its close", deployment.EnvNoticeWindowTable, deployment.EnvRecheckQueueURL)
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
	// The destinations' clients stay within a delivery's budget (budget.go),
	// from the configuration as loaded: a bounded client is not bounded again.
	dcfg := deliveryConfig(awsCfg)
	// Every call, SNS and SQS included, has a bounded attempt: a slow API
	// ends as a retryable error, not as "Task timed out".
	awsCfg.HTTPClient = accounts.HTTPClient(awsCfg.HTTPClient, accounts.DefaultTimeouts)
	h := &Handler{
		engine:    verify.New(verify.Config{Clients: accounts.New(awsCfg, cfg.ReaderRole), Policy: cfg.Policy, CacheTTL: cfg.CacheTTL}),
		publisher: notify.New(sns.NewFromConfig(dcfg), cfg.TopicARN),
		schedule:  cfg.Schedule,
		log:       log,
		now:       time.Now,
		sleep:     sleepContext,
	}
	if cfg.SecurityHub {
		h.hub = &hub{importer: securityhub.NewImporter(awssecurityhub.NewFromConfig(dcfg)), sts: sts.NewFromConfig(awsCfg), region: awsCfg.Region, now: time.Now}
	}
	if cfg.DeliveryTable != "" {
		h.ledger = delivery.NewTable(dynamodb.NewFromConfig(awsCfg), cfg.DeliveryTable, deployment.DeliveryLease, cfg.Schedule.Deadline+deployment.DeliveryRetention, time.Now)
	} else {
		log.Warn("no delivery table configured: a duplicate delivery of an event may publish its findings twice", "variable", deployment.EnvDeliveryTable)
	}
	if cfg.RecheckQueueURL != "" {
		h.queue = recheck.NewQueue(sqs.NewFromConfig(dcfg), cfg.RecheckQueueURL)
	} else {
		log.Warn("no re-check queue configured: results not visible at the first look are not checked again", "variable", deployment.EnvRecheckQueueURL)
	}
	lambda.Start(integrate(h, cfg, dcfg, log))
}
