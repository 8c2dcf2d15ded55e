package capture

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// Capture is one capture: the recorder between the engine and the live
// accounts, and the records evaluated with their live verdicts.
type Capture struct {
	rec    *Recorder
	policy verify.Policy
	now    time.Time

	mu      sync.Mutex
	entries []entry
	red     *Redactor // of the last Write
}

type entry struct {
	record *ct.Record
	live   verify.Verdict
}

// New returns a capture over live clients. The engines it makes, live and
// offline, read the clock as now: what a verdict says of the time it was
// made (a launch template's $Latest "at" when) is then the same in both.
func New(live verify.Clients, policy verify.Policy, now time.Time) *Capture {
	return &Capture{rec: NewRecorder(live), policy: policy, now: now}
}

func (c *Capture) engine(clients verify.Clients, cacheTTL time.Duration) *verify.Engine {
	return verify.New(verify.Config{Clients: clients, Policy: c.policy, CacheTTL: cacheTTL, Now: func() time.Time { return c.now }})
}

// Engine returns the engine that evaluates against the live accounts and
// records their answers.
func (c *Capture) Engine(cacheTTL time.Duration) *verify.Engine { return c.engine(c.rec, cacheTTL) }

// Add keeps a record and its live verdict. A record that could not be read
// has nothing to keep: replay reports it from its input as it is.
func (c *Capture) Add(it ct.Item, live verify.Verdict) {
	if it.Record == nil || it.Err != nil || it.Skip != "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, entry{record: it.Record, live: live})
}

// Records is how many records the capture holds.
func (c *Capture) Records() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Files are a capture as written: the world file and the records, one JSON
// line each, in the order they were added.
type Files struct {
	World   []byte
	Records [][]byte
}

// Write encodes the capture, redacted with red when it is not nil.
func (c *Capture) Write(red *Redactor) (Files, error) {
	var f Files
	var err error
	if f.World, err = EncodeWorld(c.rec.World(), red); err != nil {
		return f, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.red = red
	for _, e := range c.entries {
		b, err := EncodeRecord(e.record, red)
		if err != nil {
			return f, err
		}
		f.Records = append(f.Records, b)
	}
	return f, nil
}

// Mismatch is a record whose verdict offline differs from the live one.
type Mismatch struct {
	EventID       string
	Live, Offline verify.Verdict
}

func (m Mismatch) String() string {
	what := func(v verify.Verdict) string {
		if v.Reason != "" {
			return v.Status + " (" + v.Reason + ")"
		}
		return v.Status
	}
	return fmt.Sprintf("event %s: live %s, offline %s", m.EventID, what(m.Live), what(m.Offline))
}

// Check reads the files back as replay would and evaluates every record
// against the world alone; it returns the records whose verdict differs from
// the live one. A lookup that failed live (access denied, throttled past the
// retries) is one: the world holds nothing for it. Principals are not
// compared; of redacted files, the live verdict is compared as the redactor
// would have written it (a launch template's name, a status message quoted
// in the verdict read as their pseudonyms).
func (c *Capture) Check(ctx context.Context, f Files, cacheTTL time.Duration) ([]Mismatch, error) {
	w, err := world.Parse(bytes.NewReader(f.World))
	if err != nil {
		return nil, fmt.Errorf("the captured world does not read back: %w", err)
	}
	eng := c.engine(w, cacheTTL)
	c.mu.Lock()
	entries := append([]entry(nil), c.entries...)
	red := c.red
	c.mu.Unlock()
	if len(entries) != len(f.Records) {
		return nil, fmt.Errorf("%d records written for %d captured", len(f.Records), len(entries))
	}
	var out []Mismatch
	for i, e := range entries {
		items := ct.DecodeAll(f.Records[i])
		if len(items) != 1 {
			return nil, fmt.Errorf("record %d reads back as %d records", i, len(items))
		}
		offline := eng.Evaluate(ctx, items[0])
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if !same(e.live, offline, red) {
			out = append(out, Mismatch{EventID: e.live.EventID, Live: e.live, Offline: offline})
		}
	}
	return out, nil
}

// same compares verdicts as replay prints them, principals aside: live as
// red would have written it when red is not nil.
func same(live, offline verify.Verdict, red *Redactor) bool {
	live.Principal, offline.Principal = "", ""
	ja, err1 := live.JSON()
	jb, err2 := offline.JSON()
	if red != nil {
		// Both sides: a short name that also occurs in other words is
		// replaced alike in both, so only a redacted quote can differ.
		ja, jb = []byte(red.Apply(string(ja))), []byte(red.Apply(string(jb)))
	}
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
