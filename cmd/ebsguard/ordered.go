package main

import (
	"context"
	"sync"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// cacheTTL is how long a replay reuses account settings and key resolutions.
const cacheTTL = 15 * time.Minute

// evaluateOrdered evaluates items on several workers and yields the verdicts
// in input order. At most a bounded window of items is in flight, so memory
// stays flat however long the input.
func evaluateOrdered(ctx context.Context, e *verify.Engine, items <-chan cloudtrail.Item, workers int) <-chan verify.Verdict {
	type job struct {
		item cloudtrail.Item
		done chan verify.Verdict
	}
	jobs := make(chan job, workers)
	pending := make(chan chan verify.Verdict, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.done <- e.Evaluate(ctx, j.item)
			}
		}()
	}
	go func() {
		for it := range items {
			done := make(chan verify.Verdict, 1)
			pending <- done
			jobs <- job{it, done}
		}
		close(jobs)
		close(pending)
		wg.Wait()
	}()
	out := make(chan verify.Verdict)
	go func() {
		defer close(out)
		for done := range pending {
			out <- <-done
		}
	}()
	return out
}
