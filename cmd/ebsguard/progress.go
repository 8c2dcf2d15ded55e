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
	line      func(elapsed time.Duration) string
	stop      chan struct{}
	stopped   sync.WaitGroup
}

const progressEvery = 250 * time.Millisecond

func startProgress(w io.Writer, on, sharesOut bool, st *stats) *progress {
	return startProgressLine(w, on, sharesOut, st.line)
}

// line is replay's progress line. No record is judged while the input is
// read, so the line counts no violations then (it would say 0). Once the
// input is read, the records are evaluated: the rate is then the read's, and
// the verdicts and violations so far follow.
func (st *stats) line(elapsed time.Duration) string {
	readFor := time.Duration(st.readFor.Load())
	if readFor == 0 {
		return progressLine(st.filesRead.Load(), st.filesFound.Load(), st.walked.Load(), st.recordsSoFar(), elapsed)
	}
	return progressLine(st.filesRead.Load(), st.filesFound.Load(), true, st.records.Load(), readFor) +
		"  verdicts " + thousands(st.evaluated.Load()) + "/" + thousands(st.toEvaluate.Load()) +
		"  violations " + thousands(st.violations.Load())
}

// startProgressLine draws what line says, given the time since the start.
func startProgressLine(w io.Writer, on, sharesOut bool, line func(elapsed time.Duration) string) *progress {
	p := &progress{w: w, on: on, sharesOut: on && sharesOut, start: time.Now(), line: line, stop: make(chan struct{})}
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
	line := p.line(time.Since(p.start))
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

// progressLine says how far replay's read is: files read (of those found so
// far), records read, records per second.
func progressLine(filesRead, filesFound int64, walked bool, records int64, elapsed time.Duration) string {
	found := thousands(filesFound)
	if !walked {
		found += "+" // still finding files
	}
	rate := int64(0)
	if s := elapsed.Seconds(); s > 0 {
		rate = int64(float64(records) / s)
	}
	return fmt.Sprintf("files %s/%s  records %s  %s/s",
		thousands(filesRead), found, thousands(records), thousands(rate))
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
