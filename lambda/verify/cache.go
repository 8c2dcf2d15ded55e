package verify

import (
	"sync"
	"time"
)

// cache keeps what rarely changes (encryption by default, the default key,
// key resolutions) per account and Region for a bounded time, so that a warm
// Lambda or a long replay does not ask again for every event.
type cache struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]cacheEntry
}

type cacheEntry struct {
	val     any
	expires time.Time
}

// maxCacheEntries bounds the memory a long-running process spends on the cache.
const maxCacheEntries = 10000

func newCache(ttl time.Duration, now func() time.Time) *cache {
	return &cache{ttl: ttl, now: now, entries: map[string]cacheEntry{}}
}

func (c *cache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.now().After(e.expires) {
		return nil, false
	}
	return e.val, true
}

func (c *cache) put(key string, val any) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		now := c.now()
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			c.entries = map[string]cacheEntry{}
		}
	}
	c.entries[key] = cacheEntry{val: val, expires: c.now().Add(c.ttl)}
}
