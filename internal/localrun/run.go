// Package localrun runs the real ebsguard Lambda end to end on this machine:
// the built bootstrap under the Lambda Runtime Interface Emulator, the real
// SDK clients talking to localaws (EC2, KMS, STS from a world file) and to
// goaws (SNS delivering to an SQS queue). `make demo` and the end-to-end test
// both drive it.
package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
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

// Result is what one sample produced.
type Result struct {
	Sample        string
	Verdicts      []json.RawMessage // the verdicts the function logged
	Notifications []Notification    // what the security team's queue received
	Err           error             // a function error or a verdict that never came
}

// Options configure a run.
type Options struct {
	RIE, Bootstrap string
	Samples        []Sample
	// Progress receives one line per sample as it is done (nil: none).
	Progress func(done, total int, r Result)
	// FunctionOutput receives everything the emulator and the function print.
	FunctionOutput io.Writer
}

// Run starts every part on loopback ports, sends the samples through the
// emulator in order, and stops everything before it returns, also when ctx
// is cancelled.
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

	var results []Result
	var fn *Function
	policy := "\x00" // no function yet
	defer func() {
		if fn != nil {
			fn.Close()
		}
	}()
	for i, s := range o.Samples {
		if err := ctx.Err(); err != nil {
			return results, aws, err
		}
		// The Lambda reads its policy once at cold start: one function per policy.
		if s.Policy != policy {
			if fn != nil {
				fn.Close()
			}
			if fn, err = StartFunction(ctx, o.RIE, o.Bootstrap, Env(aws.URL(), sns, s.Policy), o.FunctionOutput); err != nil {
				return results, aws, err
			}
			policy = s.Policy
		}
		aws.SetWorld(s.World)
		r := invoke(ctx, fn, sns, s)
		results = append(results, r)
		if o.Progress != nil {
			o.Progress(i+1, len(o.Samples), r)
		}
	}
	return results, aws, nil
}

// Env is the function's environment for a local run: standard SDK
// variables only, pointing at the local endpoints.
func Env(awsURL string, sns *SNS, policy string) []string {
	e := []string{
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + localaws.AccessKeyFor(CentralAccount),
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_EC2=" + awsURL,
		"AWS_ENDPOINT_URL_KMS=" + awsURL,
		"AWS_ENDPOINT_URL_STS=" + awsURL,
		"AWS_ENDPOINT_URL_SNS=" + sns.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"TOPIC_ARN=" + sns.TopicARN,
		// The world changes between samples: nothing may be cached across them.
		"CACHE_TTL=0s",
	}
	if policy != "" {
		e = append(e, "EBSGUARD_POLICY="+policy)
	}
	return e
}

// invoke sends one sample and gathers its verdicts and notifications.
func invoke(ctx context.Context, fn *Function, sns *SNS, s Sample) Result {
	r := Result{Sample: s.Name}
	want := len(cloudtrail.DecodeAll(s.Event))
	if _, err := fn.Invoke(ctx, s.Event); err != nil {
		r.Err = err
	}
	timeout := time.After(10 * time.Second)
	for len(r.Verdicts) < want && r.Err == nil {
		select {
		case m, ok := <-fn.Logs():
			if !ok {
				r.Err = errors.New("the function's output ended")
				break
			}
			if string(m["message"]) == `"evaluated"` {
				r.Verdicts = append(r.Verdicts, m["verdict"])
			}
		case <-timeout:
			r.Err = fmt.Errorf("logged %d of %d verdicts", len(r.Verdicts), want)
		}
	}
	n, err := sns.Receive()
	r.Notifications = n
	if err != nil && r.Err == nil {
		r.Err = err
	}
	return r
}
