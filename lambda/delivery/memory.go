package delivery

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is a Ledger held in memory with the Table's semantics (claims with
// a lease, then published), for tests and the simulation.
type Memory struct {
	mu    sync.Mutex
	items map[Key]memItem
	lease time.Duration
	now   func() time.Time
}

type memItem struct {
	published bool
	claimedAt time.Time
}

// NewMemory returns an empty ledger whose claims last lease by now's clock.
func NewMemory(lease time.Duration, now func() time.Time) *Memory {
	return &Memory{items: map[Key]memItem{}, lease: lease, now: now}
}

// Claim implements Ledger.
func (m *Memory) Claim(_ context.Context, keys []Key) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var c Claim
	now := m.now()
	for _, k := range dedupe(keys) {
		it, ok := m.items[k]
		switch {
		case ok && it.published:
			c.Done = append(c.Done, k)
		case ok && now.Sub(it.claimedAt) < m.lease:
			c.Held = append(c.Held, k)
		default:
			m.items[k] = memItem{claimedAt: now}
			c.Admitted = append(c.Admitted, k)
		}
	}
	return c, nil
}

// Confirm implements Ledger.
func (m *Memory) Confirm(_ context.Context, keys []Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		m.items[k] = memItem{published: true}
	}
	return nil
}

// Release implements Ledger.
func (m *Memory) Release(_ context.Context, keys []Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if it, ok := m.items[k]; ok && !it.published {
			delete(m.items, k)
		}
	}
	return nil
}

// Published implements Ledger.
func (m *Memory) Published(_ context.Context, eventID string) ([]Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Key
	for k, it := range m.items {
		if it.published && k.EventID == eventID {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, compareKeys)
	return out, nil
}

// Carried is the ledger of one record when no table is configured: the keys
// published so far travel in the re-check message. It deduplicates the
// re-checks of one record, not duplicate deliveries of the record.
type Carried struct {
	mu        sync.Mutex
	published []Key
}

// NewCarried starts from the keys a re-check message carried.
func NewCarried(published []Key) *Carried {
	return &Carried{published: slices.Clone(published)}
}

// Claim implements Ledger: nothing is ever held.
func (c *Carried) Claim(_ context.Context, keys []Key) (Claim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out Claim
	done := make(map[Key]bool, len(c.published))
	for _, k := range c.published {
		done[k] = true
	}
	for _, k := range dedupe(keys) {
		if done[k] {
			out.Done = append(out.Done, k)
		} else {
			out.Admitted = append(out.Admitted, k)
		}
	}
	return out, nil
}

// Confirm implements Ledger.
func (c *Carried) Confirm(_ context.Context, keys []Key) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.published = dedupe(append(c.published, keys...))
	return nil
}

// Release implements Ledger.
func (c *Carried) Release(context.Context, []Key) error { return nil }

// Published implements Ledger.
func (c *Carried) Published(_ context.Context, eventID string) ([]Key, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Key
	for _, k := range c.published {
		if k.EventID == eventID {
			out = append(out, k)
		}
	}
	return out, nil
}

// Keys returns every key published so far, for the next re-check message.
func (c *Carried) Keys() []Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.published)
}

func dedupe(keys []Key) []Key {
	out := make([]Key, 0, len(keys))
	seen := make(map[Key]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func compareKeys(a, b Key) int {
	switch {
	case a.EventID != b.EventID:
		return cmpString(a.EventID, b.EventID)
	case a.Resource != b.Resource:
		return cmpString(a.Resource, b.Resource)
	}
	return cmpString(a.Code, b.Code)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
