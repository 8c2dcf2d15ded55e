package world

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A Region's resource lists can be held as the file wrote them (LoadLazy):
// each element's bytes, checked at load (scan.go) and decoded into its SDK
// type only when a lookup returns it, with the few fields the index reads
// (its keys) decoded at load. A world of 75,000 resources then loads in the
// time it takes to read it once, and a replay pays for the resources it
// looks at.
//
// The lists of a Region built in Go, or loaded by Load and Parse, are its
// exported fields, as ever. Everything in this package reads a list through
// its declaration (lists.go: images.of(r), ...), which answers from
// whichever holds it.

// Keys are what the index (index.go) reads of an element: fields of the
// element's SDK type, by the same names. The check at load decodes them from
// the file (scan.go, by name); the keysOf functions take them from a decoded
// element, and a test holds the two to agreeing.
type (
	imageKeys    struct{ ImageId *string }
	snapshotKeys struct{ SnapshotId, Description *string }
	volumeKeys   struct {
		VolumeId    *string
		Attachments []attachmentKeys
	}
	attachmentKeys struct{ InstanceId *string }
	instanceKeys   struct {
		InstanceId          *string
		BlockDeviceMappings []mappingKeys
	}
	mappingKeys struct {
		DeviceName *string
		Ebs        *ebsKeys
	}
	ebsKeys      struct{ VolumeId *string }
	templateKeys struct {
		LaunchTemplateId, LaunchTemplateName *string
		VersionNumber                        *int64
	}
)

func imageKeysOf(x ec2types.Image) imageKeys { return imageKeys{x.ImageId} }
func snapshotKeysOf(x ec2types.Snapshot) snapshotKeys {
	return snapshotKeys{x.SnapshotId, x.Description}
}
func volumeKeysOf(x ec2types.Volume) volumeKeys {
	k := volumeKeys{VolumeId: x.VolumeId}
	if x.Attachments != nil {
		k.Attachments = make([]attachmentKeys, len(x.Attachments))
		for i, a := range x.Attachments {
			k.Attachments[i] = attachmentKeys{a.InstanceId}
		}
	}
	return k
}
func instanceKeysOf(x ec2types.Instance) instanceKeys {
	k := instanceKeys{InstanceId: x.InstanceId}
	if x.BlockDeviceMappings != nil {
		k.BlockDeviceMappings = make([]mappingKeys, len(x.BlockDeviceMappings))
		for i, m := range x.BlockDeviceMappings {
			k.BlockDeviceMappings[i].DeviceName = m.DeviceName
			if m.Ebs != nil {
				k.BlockDeviceMappings[i].Ebs = &ebsKeys{m.Ebs.VolumeId}
			}
		}
	}
	return k
}
func templateKeysOf(x ec2types.LaunchTemplateVersion) templateKeys {
	return templateKeys{x.LaunchTemplateId, x.LaunchTemplateName, x.VersionNumber}
}

// lazyRegion holds a Region's lists that are held lazily, by declaration
// (lists.go): each a *lazyList of the list's types. A list not held is in
// its typed field.
type lazyRegion struct{ m map[list]any }

// empty reports whether the Region holds no list lazily.
func (z *lazyRegion) empty() bool { return z == nil || len(z.m) == 0 }

// lazyField is where a Region's list of the file goes when it is held
// lazily (nil: a field decoded at load, regionField).
func lazyField(z *lazyRegion, name string) lazySlot {
	if l := listNamed(name); l != nil {
		return l.slot(z)
	}
	return nil
}

// Decode decodes every list of the world held lazily (LoadLazy) into its
// Region's typed field, so that code reading the fields sees them all; it
// reports an element that does not decode. It must not run concurrently
// with lookups in the same world.
func (w *World) Decode() error {
	var errs []error
	for _, regions := range w.Accounts {
		for _, r := range regions {
			if r != nil {
				errs = append(errs, r.decode())
			}
		}
	}
	return errors.Join(errs...)
}

// decode moves the Region's lazily held lists into their typed fields (a
// list that does not decode stays held lazily).
func (r *Region) decode() error {
	if r.lazy.empty() {
		r.lazy = nil
		return nil
	}
	var errs []error
	for _, l := range lists {
		errs = append(errs, l.decodeHeld(r))
	}
	if r.lazy.empty() {
		r.lazy = nil
	}
	return errors.Join(errs...)
}

// decoded returns a copy of the Region whose lists are all in their typed
// fields (shared with r, which is not changed), without its index.
func (r *Region) decoded() (*Region, error) {
	out := *r
	out.index, out.lazy = nil, nil
	var errs []error
	for _, l := range lists {
		errs = append(errs, l.decodedInto(&out, r))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &out, nil
}

// held is one of a Region's lists: its typed field, or held lazily.
type held[T, K any] struct {
	typed  []T
	lazy   *lazyList[T, K]
	keysOf func(T) K
}

func (l held[T, K]) len() int {
	if l.lazy != nil {
		return l.lazy.spans.len()
	}
	return len(l.typed)
}

// at returns the i-th element.
func (l held[T, K]) at(i int) (T, error) {
	if l.lazy != nil {
		return l.lazy.at(i)
	}
	return l.typed[i], nil
}

// all returns every element.
func (l held[T, K]) all() ([]T, error) {
	if l.lazy != nil {
		return l.lazy.all()
	}
	return l.typed, nil
}

func (l held[T, K]) allErr(report func(error)) ([]T, bool) {
	all, err := l.all()
	if err != nil {
		report(err)
	}
	return all, err == nil
}

// keys yields the keys of every element, with its index, for the index
// (index.go) to be built from: a lazily held list's as read at load.
func (l held[T, K]) keys() iter.Seq2[int, K] {
	if l.lazy != nil {
		return l.lazy.keys.all
	}
	return func(yield func(int, K) bool) {
		for i := range l.len() {
			// An element that does not decode has no keys: a lookup
			// that returns it reports why. (Elements are checked at
			// load, and a list's keys are taken once.)
			var k K
			if x, err := l.at(i); err == nil {
				k = l.keysOf(x)
			}
			if !yield(i, k) {
				return
			}
		}
	}
}

// lazyList is a list held as the file wrote it.
type lazyList[T, K any] struct {
	where   string // accounts.<acct>.<region>.<field>, for errors
	src     *source
	spans   *chunks[span] // each element's bytes in src
	keys    *chunks[K]    // each element's keys, until the index takes them
	memo    []atomic.Pointer[T]
	pending []int // elements the check left to encoding/json, until settled

	once   sync.Once
	decAll []T
	errAll error
}

// span is where an element's bytes are in its source.
type span struct{ start, end uint32 }

// elem returns the i-th element's bytes, valid while l is referred to (its
// source may be a mapping, unmapped once l and its source are collected).
func (l *lazyList[T, K]) elem(i int) []byte {
	s := l.spans.at(i)
	return l.src.b[s.start:s.end]
}

// chunks is a list grown by chunks of chunkLen: appending never moves it,
// and it holds at most one chunk more than its elements, where a slice
// grown by append reallocates a long list to five times its size.
type chunks[T any] struct {
	c [][]T
	n int
}

const chunkShift = 10
const chunkLen = 1 << chunkShift

func (c *chunks[T]) len() int { return c.n }

func (c *chunks[T]) at(i int) *T { return &c.c[i>>chunkShift][i&(chunkLen-1)] }

// add appends a zero element and returns it.
func (c *chunks[T]) add() *T {
	if c.n&(chunkLen-1) == 0 {
		c.c = append(c.c, make([]T, chunkLen))
	}
	c.n++
	return c.at(c.n - 1)
}

func (c *chunks[T]) all(yield func(int, T) bool) {
	for i := range c.n {
		if !yield(i, *c.at(i)) {
			return
		}
	}
}

// at decodes the i-th element, once (concurrent first calls may both
// decode; one result is kept).
func (l *lazyList[T, K]) at(i int) (T, error) {
	if p := l.memo[i].Load(); p != nil {
		return *p, nil
	}
	v := new(T)
	err := json.Unmarshal(l.elem(i), v)
	runtime.KeepAlive(l)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("world: %s[%d]: %w", l.where, i, err)
	}
	l.memo[i].CompareAndSwap(nil, v)
	return *l.memo[i].Load(), nil
}

// all decodes every element, once, in parallel.
func (l *lazyList[T, K]) all() ([]T, error) {
	l.once.Do(func() {
		n := l.spans.len()
		out := make([]T, n)
		errs := make([]error, n)
		parallel(n, func(i int) {
			out[i], errs[i] = l.at(i)
		})
		if l.errAll = errors.Join(errs...); l.errAll == nil {
			l.decAll = out
		}
	})
	return l.decAll, l.errAll
}

// parallel runs f(0..n-1) on every core, in contiguous runs.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	const run = 256
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(run)) - run
				if start >= n {
					return
				}
				for i := start; i < min(start+run, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}

// lazySlot is where a lazily held list goes: it reads the list from the
// file and settles what the reading left to encoding/json.
type lazySlot interface {
	// scan reads the array at w.i, element by element, checking each (its
	// syntax, and its types against the SDK's: scan.go) and decoding its
	// keys; it reports false, w unmoved, for an array it does not follow.
	scan(w *walker) bool
	// settle decodes, with encoding/json, the elements the check did not
	// vouch for: an error is the element's, where names the list.
	settle(where string) error
	held() bool // whether the list is held (scanned)
	clear()
}

// slotPtr is a list's place in a lazyRegion.
type slotPtr[T, K any] struct {
	z      *lazyRegion
	l      list
	keysOf func(T) K
}

func (s slotPtr[T, K]) get() *lazyList[T, K] {
	if s.z == nil {
		return nil
	}
	h, _ := s.z.m[s.l].(*lazyList[T, K])
	return h
}

func (s slotPtr[T, K]) set(h *lazyList[T, K]) {
	if h == nil {
		delete(s.z.m, s.l)
		return
	}
	if s.z.m == nil {
		s.z.m = map[list]any{}
	}
	s.z.m[s.l] = h
}

func (s slotPtr[T, K]) scan(w *walker) bool {
	b := w.b // the source's bytes: spans are offsets in them
	if w.i >= len(b) || b[w.i] != '[' || len(b) > math.MaxUint32 {
		return false
	}
	l := &lazyList[T, K]{spans: &chunks[span]{}, keys: &chunks[K]{}, src: w.src}
	schema := schemaFor(reflect.TypeFor[T](), reflect.TypeFor[K]())
	c := checker{b: b, i: w.i + 1}
	c.ws()
	if c.i < len(b) && b[c.i] == ']' {
		c.i++
	} else {
		for {
			c.ws()
			start := c.i
			c.unsure = false
			if !c.value(schema, reflect.ValueOf(l.keys.add()).Elem()) {
				// Left to encoding/json: the element is what lies
				// before the next comma or bracket outside it.
				sub := walker{b: b, i: start}
				if _, ok := sub.value(); !ok {
					return false
				}
				c.i, c.unsure = sub.i, true
			}
			if c.unsure {
				l.pending = append(l.pending, l.spans.len())
			}
			end := c.i
			for end > start && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
				end--
			}
			*l.spans.add() = span{uint32(start), uint32(end)}
			c.ws()
			if c.i >= len(b) {
				return false
			}
			if b[c.i] == ']' {
				c.i++
				break
			}
			if b[c.i] != ',' {
				return false
			}
			c.i++
		}
	}
	l.memo = make([]atomic.Pointer[T], l.spans.len())
	w.i = c.i
	s.set(l)
	return true
}

func (s slotPtr[T, K]) held() bool { return s.get() != nil }
func (s slotPtr[T, K]) clear()     { s.set(nil) }

func (s slotPtr[T, K]) settle(where string) error {
	l := s.get()
	l.where = where
	errs := make([]error, len(l.pending))
	parallel(len(l.pending), func(j int) {
		i := l.pending[j]
		v := new(T)
		err := json.Unmarshal(l.elem(i), v)
		runtime.KeepAlive(l)
		if err != nil {
			errs[j] = fmt.Errorf("%s[%d]: %w", where, i, err)
			return
		}
		l.memo[i].Store(v)
		*l.keys.at(i) = s.keysOf(*v)
	})
	l.pending = nil
	for _, err := range errs {
		if err != nil {
			return err // the first
		}
	}
	return nil
}
