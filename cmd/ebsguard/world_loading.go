package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// loadingWorld is the --world file, loaded while replay reads its input:
// no record is evaluated before the read is over, so loading it beside the
// read hides its cost (a world of 75,000 resources takes about 0.07 s,
// docs/large-worlds.md). Its views wait for it; replay asks ready before it
// evaluates, and stops the read as soon as the world fails to load.
type loadingWorld struct {
	done chan struct{}
	w    *world.World
	err  error
}

// loadWorld starts loading a world file. A file that cannot be opened
// fails at once, before any input is read.
func loadWorld(path string) (*loadingWorld, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open world: %w", err)
	}
	f.Close()
	l := &loadingWorld{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		// Lazily: its resources are decoded as lookups return them, so
		// that a large world costs little more to load than to read
		// (lambda/world's lazy.go); only the world's own views read it.
		l.w, l.err = world.LoadLazy(path)
	}()
	return l, nil
}

// ready waits for the world and says why it did not load.
func (l *loadingWorld) ready() error {
	<-l.done
	return l.err
}

func (l *loadingWorld) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	return l.w.EC2(ctx, account, region)
}

func (l *loadingWorld) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	return l.w.KMS(ctx, account, region)
}
