package main

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// progress draws one line on stderr while replay runs, when stderr is a
// terminal, and serialises everything else written there (and, when stdout
// is the same terminal, the verdicts) so that no line is drawn over.
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	on        bool // stderr is a terminal
	sharesOut bool // stdout is a terminal too: clear the line before verdicts
	drawn     bool
	start     time.Time
	stats     *stats
	stop      chan struct{}
	stopped   sync.WaitGroup
}

const progressEvery = 250 * time.Millisecond

func startProgress(w io.Writer, on, sharesOut bool, st *stats) *progress {
	p := &progress{w: w, on: on, sharesOut: on && sharesOut, start: time.Now(), stats: st, stop: make(chan struct{})}
	if on {
		p.stopped.Go(func() {
			t := time.NewTicker(progressEvery)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.draw()
				}
			}
		})
	}
	return p
}

func (p *progress) draw() {
	s := p.stats
	line := progressLine(s.filesRead.Load(), s.filesFound.Load(), s.walked.Load(), s.recordsSoFar(), time.Since(p.start), s.violations.Load())
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.drawn = true
}

// clear erases the line; p.mu is held.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// printf writes a message on stderr.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format, args...)
}

// around runs a write to stdout.
func (p *progress) around(write func() error) error {
	if !p.sharesOut {
		return write()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return write()
}

// finish stops drawing and erases the line.
func (p *progress) finish() {
	close(p.stop)
	p.stopped.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// progressLine says how far replay is: files read (of those found so far),
// records read, records per second, violations so far.
func progressLine(filesRead, filesFound int64, walked bool, records int64, elapsed time.Duration, violations int64) string {
	found := thousands(filesFound)
	if !walked {
		found += "+" // still finding files
	}
	rate := int64(0)
	if s := elapsed.Seconds(); s > 0 {
		rate = int64(float64(records) / s)
	}
	return fmt.Sprintf("files %s/%s  records %s  %s/s  violations %s",
		thousands(filesRead), found, thousands(records), thousands(rate), thousands(violations))
}

// thousands writes n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
