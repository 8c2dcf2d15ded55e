package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// source is one input: a file, or standard input, with the engine that
// evaluates its records.
type source struct {
	name   string    // for messages: the path, or "standard input"
	stdin  io.Reader // set for standard input
	engine *verify.Engine
	arg    int   // the index of the PATH argument it came from
	err    error // the input cannot be evaluated (its world did not load)
}

// work is one item to evaluate, with its engine.
type work struct {
	item   cloudtrail.Item
	engine *verify.Engine
}

// sourceDone is what reading a source came to.
type sourceDone struct {
	src        *source
	seen       int64 // records read, returned or passed over
	outOfScope int64 // records of events outside the registry
	err        error // the input could not be read
}

// chunk is a batch of a source's items, or, last, what reading it came to.
type chunk struct {
	items []work
	done  *sourceDone
}

// batchSize bounds the items a reader holds before passing them on.
const batchSize = 64

// reader reads sources on several goroutines, a file each, and hands their
// items on in input order: the files of a CloudTrail prefix are decompressed
// and scanned in parallel. At most a few files are read ahead of the one
// being handed on, each holding at most a few batches, so memory stays flat
// however many files there are.
type reader struct {
	workers int
	scope   []string // nil: every record is returned
	inScope map[string]bool
	stats   *stats
}

// newReader reads with workers goroutines; all says whether records of events out of
// scope are returned too (replay --all) or skipped without being decoded.
func newReader(st *stats, workers int, all bool) *reader {
	r := &reader{workers: workers, inScope: map[string]bool{}, stats: st}
	for _, n := range rules.EventNames() {
		r.inScope[n] = true
	}
	if !all {
		r.scope = rules.EventNames()
	}
	return r
}

// read starts reading; it returns the items in order, and calls done (from
// one goroutine, in order) as each source is finished.
func (r *reader) read(ctx context.Context, sources <-chan *source, done func(sourceDone)) <-chan work {
	type job struct {
		src *source
		out chan chunk
	}
	jobs := make(chan job)
	order := make(chan job, r.workers)
	go func() {
		defer close(order)
		defer close(jobs)
		for src := range sources {
			j := job{src, make(chan chunk, 4)}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				// j is in order but no reader has it: close its
				// output here, or the hand-on below waits for it.
				close(j.out)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range r.workers {
		wg.Go(func() {
			for j := range jobs {
				r.readSource(ctx, w, j.src, j.out)
				close(j.out)
			}
		})
	}
	out := make(chan work, batchSize)
	go func() {
		defer close(out)
		for j := range order {
			for c := range j.out {
				for _, it := range c.items {
					select {
					case out <- it:
					case <-ctx.Done():
					}
				}
				if c.done != nil {
					done(*c.done)
				}
			}
		}
		wg.Wait()
	}()
	return out
}

// readSource decodes one source into out.
func (r *reader) readSource(ctx context.Context, slot int, src *source, out chan<- chunk) {
	d := sourceDone{src: src, err: src.err}
	send := func(c chunk) bool {
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	defer func() { send(chunk{done: &d}) }()
	if d.err != nil {
		return
	}
	in := src.stdin
	if in == nil {
		f, err := os.Open(src.name)
		if err != nil {
			d.err = fmt.Errorf("read: %w", err)
			return
		}
		defer f.Close()
		in = f
	}
	// A re-check message or a dead-letter queue's body is a record in an
	// envelope (docs/operations.md).
	in, err := recheck.Unwrap(in)
	if err != nil {
		d.err = fmt.Errorf("read %s: %w", src.name, err)
		return
	}
	dec, err := cloudtrail.NewDecoder(in)
	if err != nil {
		d.err = fmt.Errorf("read %s: %w", src.name, err)
		return
	}
	if r.scope != nil {
		dec.Scope(r.scope)
	}
	r.stats.reading(slot, dec)
	defer func() { r.stats.read(slot, dec.Seen()) }()
	var shown int64 // out-of-scope records returned, with --all
	batch := make([]work, 0, batchSize)
	for {
		it, ok := dec.Next()
		if !ok {
			break
		}
		if it.Err != nil {
			it.Err = fmt.Errorf("%s: %w", src.name, it.Err)
		} else if it.Skip != "" || !r.inScope[string(it.Record.EventName)] {
			shown++
		}
		batch = append(batch, work{it, src.engine})
		if len(batch) == batchSize {
			if !send(chunk{items: batch}) {
				return
			}
			batch = make([]work, 0, batchSize)
		}
	}
	if len(batch) > 0 && !send(chunk{items: batch}) {
		return
	}
	d.seen, d.outOfScope = dec.Seen(), dec.Skipped()+shown
}

// stats are the counts progress shows, updated as the run goes.
type stats struct {
	filesFound atomic.Int64
	walked     atomic.Bool // every input has been found
	filesRead  atomic.Int64
	records    atomic.Int64 // of the files read
	violations atomic.Int64
	active     []atomic.Pointer[cloudtrail.Decoder] // one per reader

	start      time.Time
	readFor    atomic.Int64 // how long the read took (ns), once it is over
	toEvaluate atomic.Int64 // items to evaluate, once the read is over
	evaluated  atomic.Int64
}

func newStats(readers int) *stats {
	return &stats{active: make([]atomic.Pointer[cloudtrail.Decoder], readers), start: time.Now()}
}

// readDone marks the end of the read, with the number of items to evaluate.
func (s *stats) readDone(items int64) {
	s.toEvaluate.Store(items)
	s.readFor.Store(max(1, int64(time.Since(s.start))))
}

func (s *stats) reading(slot int, d *cloudtrail.Decoder) { s.active[slot].Store(d) }

func (s *stats) read(slot int, seen int64) {
	// Off the active list first: progress may undercount for a moment,
	// never count a file twice.
	s.active[slot].Store(nil)
	s.records.Add(seen)
	s.filesRead.Add(1)
}

// recordsSoFar counts the records of the files read and of those being read.
func (s *stats) recordsSoFar() int64 {
	n := s.records.Load()
	for i := range s.active {
		if d := s.active[i].Load(); d != nil {
			n += d.Seen()
		}
	}
	return n
}
