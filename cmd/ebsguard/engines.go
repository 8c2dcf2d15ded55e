package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/ebsguard/ebsguard/internal/inputs"
	"github.com/ebsguard/ebsguard/lambda/accounts"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// cacheTTL is how long a replay reuses account settings and key resolutions.
const cacheTTL = 15 * time.Minute

// engines gives each input the engine that evaluates it: the world and
// policy of the flags, else those of the sample folder it belongs to, else
// the live accounts. Worlds, policies and engines are made once each. Only
// the goroutine that walks the inputs uses it.
type engines struct {
	ctx        context.Context
	readerRole string
	world      string // --world
	policy     string // --policy

	live     verify.Clients
	liveErr  error // why the live accounts cannot be reached, once known
	worlds   map[string]verify.Clients
	policies map[string]verify.Policy
	byKey    map[engineKey]*verify.Engine
	// settings are the settings-change records of the input, by sample
	// folder ("" for every other input): replay adds them as it reads.
	settings map[string]*verify.SettingsHistory
	// flagWorld is the --world file, loading beside the read (nil without
	// the flag).
	flagWorld *loadingWorld
}

// engineKey names an engine by its world file ("" for the live accounts)
// and policy file ("" for the default policy).
// sample is the sample folder whose settings changes apply ("" for any
// other input).
type engineKey struct{ world, policy, sample string }

func newEngines(ctx context.Context, o replayOptions) (*engines, error) {
	e := &engines{
		ctx: ctx, readerRole: o.readerRole, world: o.world, policy: o.policy,
		worlds: map[string]verify.Clients{}, policies: map[string]verify.Policy{}, byKey: map[engineKey]*verify.Engine{},
		settings: map[string]*verify.SettingsHistory{},
	}
	// The flags' files are opened now: a typo fails before any input is
	// read. The world loads beside the read (world_loading.go).
	if o.world != "" {
		lw, err := loadWorld(o.world)
		if err != nil {
			return nil, err
		}
		e.flagWorld, e.worlds[o.world] = lw, lw
	}
	if o.policy != "" {
		if _, err := e.loadPolicy(o.policy); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// worldLoaded waits for the --world file and says why it did not load.
func (e *engines) worldLoaded() error {
	if e.flagWorld == nil {
		return nil
	}
	return e.flagWorld.ready()
}

// forFile returns the engine of an input file (f.Path "" is standard input).
func (e *engines) forFile(f inputs.File) (*verify.Engine, error) {
	k := engineKey{world: e.world, policy: e.policy}
	if s := f.Sample; s != nil {
		if k.world == "" {
			k.world = s.World
		}
		if k.policy == "" {
			k.policy = s.Policy
		}
		k.sample = s.Dir
	}
	if eng := e.byKey[k]; eng != nil {
		return eng, nil
	}
	clients, err := e.clients(k.world)
	if err != nil {
		return nil, err
	}
	var pol verify.Policy
	if k.policy != "" {
		if pol, err = e.loadPolicy(k.policy); err != nil {
			return nil, err
		}
	}
	// A sample is its own world: its settings changes apply to its records only.
	h := e.settings[k.sample]
	if h == nil {
		h = verify.NewSettingsHistory()
		e.settings[k.sample] = h
	}
	eng := verify.New(verify.Config{Clients: clients, Policy: pol, CacheTTL: cacheTTL, Settings: h})
	e.byKey[k] = eng
	return eng, nil
}

func (e *engines) clients(worldPath string) (verify.Clients, error) {
	if worldPath == "" {
		if e.live == nil && e.liveErr == nil {
			// Only when an input needs them: samples carry their worlds.
			e.live, e.liveErr = liveClients(e.ctx, e.readerRole)
		}
		return e.live, e.liveErr
	}
	if c, ok := e.worlds[worldPath]; ok {
		return c, nil
	}
	// Lazily: its resources are decoded as lookups return them, so that a
	// large world costs little more to load than to read (lambda/world's
	// lazy.go); only the world's own views read it.
	w, err := world.LoadLazy(worldPath)
	if err != nil {
		return nil, err
	}
	e.worlds[worldPath] = w
	return w, nil
}

// liveClients reaches the live accounts with the default credential chain,
// after checking that it yields credentials: without, every lookup would
// fail alike with a long SDK error.
func liveClients(ctx context.Context, readerRole string) (verify.Clients, error) {
	// The SDK's own warnings (an instance metadata fall-back) are not for
	// the person at the terminal: a failure reaches them as a verdict.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, errNoCredentials
	}
	return accounts.New(cfg, readerRole), nil
}

// errNoCredentials is the one line replay prints when an input needs the
// live accounts and the default credential chain has nothing.
var errNoCredentials = errors.New("no AWS credentials for the live accounts, which inputs outside a sample folder are read against: " +
	"set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or answer from a world file with --world FILE")

func (e *engines) loadPolicy(path string) (verify.Policy, error) {
	if p, ok := e.policies[path]; ok {
		return p, nil
	}
	p, err := verify.LoadPolicy(path)
	if err != nil {
		return p, err
	}
	e.policies[path] = p
	return p, nil
}
