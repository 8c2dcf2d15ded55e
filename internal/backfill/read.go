package backfill

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// S3API is the part of S3 a backfill calls: GetObject to read the objects
// the query named, ListObjectsV2 for --dry-run's estimate.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ S3API = (*s3.Client)(nil)

// Object is one S3 object the query named, with the events to pick from it.
type Object struct {
	Bucket, Key string
	EventIDs    map[string]bool
}

// Objects groups the hits by object, in the order of their keys (CloudTrail's
// keys sort by account, Region and time).
func Objects(hits []Hit) []Object {
	byURL := map[[2]string]*Object{}
	for _, h := range hits {
		k := [2]string{h.Bucket, h.Key}
		o := byURL[k]
		if o == nil {
			o = &Object{Bucket: h.Bucket, Key: h.Key, EventIDs: map[string]bool{}}
			byURL[k] = o
		}
		o.EventIDs[h.EventID] = true
	}
	out := make([]Object, 0, len(byURL))
	for _, o := range byURL {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Object) int {
		if c := cmpString(a.Bucket, b.Bucket); c != 0 {
			return c
		}
		return cmpString(a.Key, b.Key)
	})
	return out
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

// ReadStats count what Read did, safe to read as it goes.
type ReadStats struct {
	Objects    atomic.Int64 // objects read
	Bytes      atomic.Int64 // bytes read from S3 (as stored: gzip)
	Records    atomic.Int64 // records picked (each event once)
	Missing    atomic.Int64 // event IDs the query named that their object did not hold
	Duplicates atomic.Int64 // records of an event already picked (CloudTrail may deliver an event twice)
	objectsAll atomic.Int64
}

// Total is the number of objects to read.
func (s *ReadStats) Total() int64 { return s.objectsAll.Load() }

// Picked is a record of an object, or an object that could not be read
// (Item.Err set, Object named).
type Picked struct {
	Item   ct.Item
	Object string // s3://bucket/key
}

// Read reads the objects, at most parallel at once, decodes each with the
// decoder replay and the Lambda use (scoped to the kinds' event names), and
// sends the records whose event ID the query named, in the order of the
// objects and of the records in each: the output does not depend on which
// download finishes first. At most parallel objects' picked records are held.
// An event delivered more than once (CloudTrail may, in one object or in
// two) is sent once: its first record in that order; the repeats are
// counted in Duplicates. It closes out when done.
func Read(ctx context.Context, api S3API, objects []Object, eventNames []string, parallel int, st *ReadStats, out chan<- Picked) {
	defer close(out)
	st.objectsAll.Store(int64(len(objects)))
	if parallel <= 0 {
		parallel = 8
	}
	type job struct {
		o    Object
		done chan []Picked
	}
	jobs := make(chan job)
	order := make(chan job, parallel)
	go func() {
		defer close(order)
		defer close(jobs)
		for _, o := range objects {
			j := job{o, make(chan []Picked, 1)}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for j := range jobs {
				j.done <- readObject(ctx, api, j.o, eventNames, st)
			}
		})
	}
	defer wg.Wait()
	seen := map[string]bool{}
	for j := range order {
		var picked []Picked
		select {
		case picked = <-j.done:
		case <-ctx.Done():
			return
		}
		for _, p := range picked {
			if p.Item.Err == nil && p.Item.Record != nil {
				id := string(p.Item.Record.EventID)
				if seen[id] {
					st.Duplicates.Add(1)
					continue
				}
				seen[id] = true
				st.Records.Add(1)
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}
}

// readObject returns the picked records of one object, or the error that
// kept it from being read.
func readObject(ctx context.Context, api S3API, o Object, eventNames []string, st *ReadStats) []Picked {
	url := "s3://" + o.Bucket + "/" + o.Key
	fail := func(err error) []Picked { return []Picked{{Item: ct.Item{Err: err}, Object: url}} }
	got, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
	if err != nil {
		return fail(fmt.Errorf("read %s: %w", url, err))
	}
	defer got.Body.Close()
	body := &countingReader{r: got.Body, n: &st.Bytes}
	dec, err := ct.NewDecoder(body)
	if err != nil {
		return fail(fmt.Errorf("read %s: %w", url, err))
	}
	dec.Scope(eventNames)
	var picked []Picked
	found := map[string]bool{}
	for {
		it, ok := dec.Next()
		if !ok {
			break
		}
		if it.Err != nil {
			// A record the query named may be in the part that cannot be read.
			it.Err = fmt.Errorf("%s: %w", url, it.Err)
			picked = append(picked, Picked{Item: it, Object: url})
			continue
		}
		if it.Record == nil || !o.EventIDs[string(it.Record.EventID)] {
			continue
		}
		found[string(it.Record.EventID)] = true
		picked = append(picked, Picked{Item: it, Object: url})
	}
	io.Copy(io.Discard, body) // count what is left of the object: it was downloaded
	st.Missing.Add(int64(max(0, len(o.EventIDs)-len(found))))
	st.Objects.Add(1)
	return picked
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
