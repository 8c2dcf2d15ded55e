package main

import (
	"context"
	"sync"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// evaluated is an item with its verdict.
type evaluated struct {
	work
	verdict verify.Verdict
}

// evaluateOrdered evaluates items on several workers and yields them with
// their verdicts in input order. At most a bounded window of items is in
// flight, so memory stays flat however long the input.
func evaluateOrdered(ctx context.Context, items <-chan work, workers int) <-chan evaluated {
	type job struct {
		work
		done chan evaluated
	}
	jobs := make(chan job, workers)
	pending := make(chan chan evaluated, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.done <- evaluated{j.work, j.engine.Evaluate(ctx, j.item)}
			}
		})
	}
	go func() {
		for w := range items {
			done := make(chan evaluated, 1)
			pending <- done
			jobs <- job{w, done}
		}
		close(jobs)
		close(pending)
		wg.Wait()
	}()
	out := make(chan evaluated)
	go func() {
		defer close(out)
		for done := range pending {
			out <- <-done
		}
	}()
	return out
}
