package main

import (
	"context"
	"sync"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// evaluateOrdered evaluates items on several workers and yields the verdicts
// in input order. At most a bounded window of items is in flight, so memory
// stays flat however long the input.
func evaluateOrdered(ctx context.Context, items <-chan work, workers int) <-chan verify.Verdict {
	type job struct {
		work
		done chan verify.Verdict
	}
	jobs := make(chan job, workers)
	pending := make(chan chan verify.Verdict, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.done <- j.engine.Evaluate(ctx, j.item)
			}
		})
	}
	go func() {
		for w := range items {
			done := make(chan verify.Verdict, 1)
			pending <- done
			jobs <- job{w, done}
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
