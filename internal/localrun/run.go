// Package localrun runs the real ebsguard Lambda end to end on this machine:
// the built bootstrap under the Lambda Runtime Interface Emulator, the real
// SDK clients talking to localaws (EC2, KMS, STS from a world file) and to
// goaws (SNS delivering to an SQS queue, and the re-check queue), and
// localrun itself playing the SQS event source mapping that brings re-checks
// back to the function. `make demo` and the end-to-end test both drive it.
package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// Accounts and Region of the local run: the Lambda runs in the central
// account and reads member accounts through the assumed reader role.
const (
	CentralAccount = "111111111111"
	Region         = "us-east-1"
)

// Sample is one event file with the world it is evaluated against.
type Sample struct {
	Name   string
	Event  []byte
	World  *world.World
	Policy string // the policy document, "" for the default
}

// LoadSamples reads the events of path the way `ebsguard replay` does
// (internal/inputs): a folder of sample folders, one sample folder, or
// CloudTrail files and folders. A sample's events are evaluated against its
// own world.json and policy.json; worldPath, when given, replaces every
// world, and is needed for events outside a sample.
func LoadSamples(path, worldPath string) ([]Sample, error) {
	var fixed *world.World
	if worldPath != "" {
		w, err := world.Load(worldPath)
		if err != nil {
			return nil, err
		}
		fixed = w
	}
	worlds := map[string]*world.World{}
	var out []Sample
	err := inputs.Walk(path, func(f inputs.File) error {
		event, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		s := Sample{Name: f.Path, Event: event, World: fixed}
		if smp := f.Sample; smp != nil {
			// The sample's folder names it (the end-to-end test finds its
			// want.json by that name); a second event file adds its own.
			s.Name = filepath.Base(smp.Dir)
			if base := filepath.Base(f.Path); base != inputs.EventFile {
				s.Name += "/" + base
			}
			if s.World == nil {
				if s.World = worlds[smp.World]; s.World == nil {
					if s.World, err = world.Load(smp.World); err != nil {
						return err
					}
					worlds[smp.World] = s.World
				}
			}
			if smp.Policy != "" {
				b, err := os.ReadFile(smp.Policy)
				if err != nil {
					return err
				}
				s.Policy = string(b)
			}
		}
		if s.World == nil {
			return fmt.Errorf("%s is not in a sample folder (one holding %s): name a world file for it", f.Path, inputs.WorldFile)
		}
		out = append(out, s)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s holds no event files", path)
	}
	return out, err
}

// Result is what one sample produced: its first invocation's verdicts and
// notifications, then those of its re-checks, in order.
type Result struct {
	Sample        string
	Verdicts      []json.RawMessage // the verdicts the function logged
	Notifications []Notification    // what the security team's queue received
	Rechecks      []Recheck         // the re-checks of its events, in order
	Err           error             // a function error, or re-checks left when the run's bound ran out
}

// Recheck is one re-check message delivered to the function.
type Recheck struct {
	EventID string
	// Attempt is the message's own count of re-checks ("attempt" in its
	// body), else how often the queue delivered it.
	Attempt int
	// After is the time from the sample's first invocation to this one's
	// answer, when its verdict is known.
	After         time.Duration
	Verdicts      []json.RawMessage
	Notifications []Notification
	// Failed: the function reported the message as a batch item failure, or
	// the whole invocation failed; it comes back after the visibility timeout.
	Failed bool
	Err    error
}

// Options configure a run.
type Options struct {
	RIE, Bootstrap string
	Samples        []Sample
	// Progress receives one line per sample as it is done, re-checks
	// included (nil: none).
	Progress func(done, total int, r Result)
	// FunctionOutput receives everything the emulator and the function print.
	FunctionOutput io.Writer
	// Settings are more of the function's environment variables, e.g.
	// RECHECK_BACKOFF=1s and RECHECK_DEADLINE=5s to scale re-checks down.
	Settings []string
	// RecheckTimeout bounds how long the event source mapping is played after
	// samples that share a world (default 2 minutes). Messages still queued
	// then are dropped and their samples' Err says so.
	RecheckTimeout time.Duration
	// BatchSize is the mapping's batch size (default 10, Lambda's default for
	// SQS).
	BatchSize int
	// BeforeSample, when set, runs before each sample is sent, with the
	// servers, e.g. to inject faults into localaws or the gateway.
	BeforeSample func(i int, s Sample, aws *localaws.Server, sns *SNS)
	// ColdStart starts a fresh function for every sample, as a new execution
	// environment would be: nothing a warm function keeps (the caller's
	// identity, assumed-role credentials, clients, caches) carries over, so
	// that every sample makes the STS calls of a cold start. Each sample is
	// then also its own group: its re-checks are played before the next.
	ColdStart bool
	// Dynalite is dynalite's cli.js (FindDynalite): when set, the function
	// records its deliveries in a delivery table there, as deployed; when
	// empty, its re-check messages carry them.
	Dynalite string
	// DynamoDB, when set, is a running dynalite (StartDynamoDB) whose table
	// outlives the run: Lambda's retries, played as later runs, then see
	// what the first run published. It wins over Dynalite.
	DynamoDB *DynamoDB
}

// Run starts every part on loopback ports, sends the samples through the
// emulator in order, plays the event source mapping of the re-check queue
// until it is empty before the world changes (samples in a row that share a
// world and policy are sent first, then their re-checks), and stops
// everything before it returns, also when ctx is cancelled.
func Run(ctx context.Context, o Options) ([]Result, *localaws.Server, error) {
	aws := localaws.New(&world.World{}, CentralAccount)
	if err := aws.Start(""); err != nil {
		return nil, nil, err
	}
	defer aws.Close()
	sns, err := StartSNS(Region, CentralAccount)
	if err != nil {
		return nil, aws, err
	}
	defer sns.Close()
	switch {
	case o.DynamoDB != nil:
		o.Settings = append(o.DynamoDB.Env(), o.Settings...)
	case o.Dynalite != "":
		db, err := StartDynamoDB(ctx, o.Dynalite)
		if err != nil {
			return nil, aws, err
		}
		defer db.Close()
		o.Settings = append(db.Env(), o.Settings...)
	}
	if o.RecheckTimeout <= 0 {
		o.RecheckTimeout = 2 * time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}

	results := make([]Result, 0, len(o.Samples))
	var fn *Function
	policy := "\x00" // no function yet
	defer func() {
		if fn != nil {
			fn.Close()
		}
	}()
	for start := 0; start < len(o.Samples); {
		// A group: samples in a row with one world and one policy.
		end := start + 1
		for !o.ColdStart && end < len(o.Samples) && o.Samples[end].World == o.Samples[start].World && o.Samples[end].Policy == o.Samples[start].Policy {
			end++
		}
		if err := ctx.Err(); err != nil {
			return results, aws, err
		}
		// The Lambda reads its policy once at cold start: one function per policy.
		if s := o.Samples[start]; s.Policy != policy || o.ColdStart {
			if fn != nil {
				fn.Close()
			}
			if fn, err = StartFunction(ctx, o.RIE, o.Bootstrap, Env(aws.URL(), sns, s.Policy, o.Settings...), o.FunctionOutput); err != nil {
				return results, aws, err
			}
			policy = s.Policy
		}
		aws.SetWorld(o.Samples[start].World)
		m := &mapping{fn: fn, sns: sns, opts: o, results: &results, first: len(results), byEvent: map[string]int{}}
		for i := start; i < end; i++ {
			if err := ctx.Err(); err != nil {
				return results, aws, err
			}
			if o.BeforeSample != nil {
				o.BeforeSample(i, o.Samples[i], aws, sns)
			}
			m.send(ctx, o.Samples[i])
		}
		if err := m.play(ctx); err != nil {
			return results, aws, err
		}
		if o.Progress != nil {
			for i := m.first; i < len(results); i++ {
				o.Progress(i+1, len(o.Samples), results[i])
			}
		}
		start = end
	}
	return results, aws, nil
}

// Env is the function's environment for a local run: standard SDK
// variables only, pointing at the local endpoints, the re-check queue, and
// then settings (NAME=value) that may override any of these.
func Env(awsURL string, sns *SNS, policy string, settings ...string) []string {
	e := []string{
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + localaws.AccessKeyFor(CentralAccount),
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_EC2=" + awsURL,
		"AWS_ENDPOINT_URL_KMS=" + awsURL,
		"AWS_ENDPOINT_URL_STS=" + awsURL,
		"AWS_ENDPOINT_URL_CLOUDTRAIL=" + awsURL,
		"AWS_ENDPOINT_URL_ORGANIZATIONS=" + awsURL,
		"AWS_ENDPOINT_URL_SECURITYHUB=" + awsURL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + awsURL,
		"AWS_ENDPOINT_URL_SNS=" + sns.URL,
		"AWS_ENDPOINT_URL_SQS=" + sns.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"TOPIC_ARN=" + sns.TopicARN,
		"RECHECK_QUEUE_URL=" + sns.RecheckQueueURL,
		// The world changes between samples: nothing may be cached across them.
		"CACHE_TTL=0s",
	}
	if policy != "" {
		e = append(e, "EBSGUARD_POLICY="+policy)
	}
	// A later NAME= wins in the emulator's environment: settings override.
	return append(e, settings...)
}
