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
	return mapOrdered(items, workers, func(w work) evaluated {
		return evaluated{w, w.engine.Evaluate(ctx, w.item)}
	})
}

// mapOrdered applies f to the items on several workers and yields the
// results in input order, at most 4*workers items in flight.
func mapOrdered[In, Out any](items <-chan In, workers int, f func(In) Out) <-chan Out {
	type job struct {
		in   In
		done chan Out
	}
	jobs := make(chan job, workers)
	pending := make(chan chan Out, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.done <- f(j.in)
			}
		})
	}
	go func() {
		for in := range items {
			done := make(chan Out, 1)
			pending <- done
			jobs <- job{in, done}
		}
		close(jobs)
		close(pending)
		wg.Wait()
	}()
	out := make(chan Out)
	go func() {
		defer close(out)
		for done := range pending {
			out <- <-done
		}
	}()
	return out
}
