package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/ebsguard/ebsguard/internal/deployment"
	"github.com/ebsguard/ebsguard/internal/localaws"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// endpoints are localaws and goaws serving a world, ready: both listen
// before startEndpoints returns.
type endpoints struct {
	aws  *localaws.Server
	sns  *localrun.SNS
	vars map[string]string // the function's environment, which the CLI reads too
}

func startEndpoints(worldPath string) (*endpoints, error) {
	if worldPath == "" {
		return nil, errors.New("name the world to serve with -world")
	}
	w, err := world.Load(worldPath)
	if err != nil {
		return nil, err
	}
	aws := localaws.New(w, localrun.CentralAccount)
	memberStacks(aws, w)
	if err := aws.Start(""); err != nil {
		return nil, err
	}
	sns, err := localrun.StartSNS(localrun.Region, localrun.CentralAccount)
	if err != nil {
		aws.Close()
		return nil, err
	}
	vars := map[string]string{}
	for _, kv := range localrun.Env(aws.URL(), sns, "") {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return &endpoints{aws: aws, sns: sns, vars: vars}, nil
}

// memberStacks plays the member stack in every account of the world but
// the central one (which has none, docs/deploy.md): its forwarding rule,
// enabled and targeting the central bus, in each of the account's Regions
// and in the local Region, so that ebsguard doctor finds a healthy
// deployment (the reader roles, localaws assumes them).
func memberStacks(s *localaws.Server, w *world.World) {
	regions := map[string]map[string]bool{}
	add := func(account, region string) {
		if account == localrun.CentralAccount {
			return
		}
		if regions[account] == nil {
			regions[account] = map[string]bool{}
		}
		regions[account][region] = true
	}
	for account, rs := range w.Accounts {
		for region := range rs {
			add(account, region)
		}
		add(account, localrun.Region)
	}
	if w.Organization != nil {
		for _, a := range w.Organization.Accounts {
			if a.Id != nil {
				add(*a.Id, localrun.Region)
			}
		}
	}
	bus := deployment.EventBusARN("aws", localrun.Region, localrun.CentralAccount, "ebsguard")
	for account, rs := range regions {
		for region := range rs {
			s.SetRule(account, region, localaws.EventRule{Name: deployment.ForwardRuleName, State: "ENABLED", Targets: []string{bus}})
		}
	}
}

func (e *endpoints) Close() {
	e.sns.Close()
	e.aws.Close()
}

// names are the variables, sorted.
func (e *endpoints) names() []string { return slices.Sorted(maps.Keys(e.vars)) }

// shellFile is the environment for a POSIX shell, and the line that undoes
// it once the endpoints are gone.
func (e *endpoints) shellFile() (exports, unset string) {
	var sh strings.Builder
	for _, k := range e.names() {
		fmt.Fprintf(&sh, "export %s=%s\n", k, shellQuote(e.vars[k]))
	}
	return sh.String(), "unset " + strings.Join(e.names(), " ")
}

// environ is the environment of a command run against the endpoints: the
// caller's, without its AWS settings (a profile, a Region, credentials would
// point elsewhere), plus the endpoints'.
func (e *endpoints) environ(base []string) []string {
	var out []string
	for _, kv := range base {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	for _, k := range e.names() {
		out = append(out, k+"="+e.vars[k])
	}
	return out
}

// execLocal serves the world, runs one command against it (ebsguard audit,
// replay, world capture), stops the endpoints and returns the command's exit
// status. The caller's shell is not touched: nothing to source, nothing to
// unset.
func execLocal(ctx context.Context, worldPath string, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ep, err := startEndpoints(worldPath)
	if err != nil {
		fmt.Fprintf(stderr, "ebsguard-demo: %v\n", err)
		return 2
	}
	defer ep.Close()
	fmt.Fprintf(stderr, "ebsguard-demo: local endpoints for %s at %s; running: %s\n", worldPath, ep.aws.URL(), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = ep.environ(os.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "ebsguard-demo: %v\n", err)
		return 2
	}
	// Ctrl-C reaches the command too (same terminal): it stops on its own
	// and prints what it did; the endpoints stay until it has.
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintf(stderr, "ebsguard-demo: %s: %v\n", argv[0], err)
		return 1
	}
}
