package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// A spool holds the items replay will evaluate, in input order, while the
// input is read: no record can be judged before every settings change of the
// input is known (docs/performance-settings.md). Up to spoolMemory bytes of
// items stay in memory; the rest go to a temporary file, so that memory stays
// flat however large the input. The file is unlinked as soon as it is made
// (where the system allows it), so that nothing is left behind whichever way
// replay ends.
type spool struct {
	limit    int64
	mem      []work
	memBytes int64

	file    *os.File
	w       *bufio.Writer
	spilled int64 // items in the file
	buf     []byte

	engines []*verify.Engine // an item's engine is written as its index here
	index   map[*verify.Engine]uint64
	err     error // why the items could not all be read back
}

// spoolMemory bounds the bytes of items a spool holds in memory; tests set it
// low to make every run spill.
var spoolMemory int64 = 16 << 20

// spoolDir is where the spill file is made ("": the system's temporary folder).
var spoolDir = ""

// spilledItems counts the items written to spill files, for tests.
var spilledItems atomic.Int64

func newSpool() *spool {
	return &spool{limit: spoolMemory, index: map[*verify.Engine]uint64{}}
}

// len is the number of items held.
func (s *spool) len() int64 { return int64(len(s.mem)) + s.spilled }

// add appends an item. Once one item has gone to the file, every later one
// does: the file's items come after those in memory.
func (s *spool) add(w work) error {
	if s.file == nil {
		size := itemSize(&w.item)
		if s.memBytes+size <= s.limit {
			s.mem = append(s.mem, w)
			s.memBytes += size
			return nil
		}
		f, err := os.CreateTemp(spoolDir, "ebsguard-replay-*.spool")
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		// Unlinked now where the system allows it: the open file is all
		// there is. Else close removes it.
		os.Remove(f.Name())
		s.file = f
		s.w = bufio.NewWriterSize(f, 256<<10)
	}
	i, ok := s.index[w.engine]
	if !ok {
		i = uint64(len(s.engines))
		s.engines = append(s.engines, w.engine)
		s.index[w.engine] = i
	}
	s.buf = encodeItem(binary.AppendUvarint(s.buf[:0], i), &w.item)
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.spilled++
	spilledItems.Add(1)
	return nil
}

// items yields every item in the order added; add must not be called any
// more. After the channel is closed, err says whether the file could not be
// read back. The items in memory are let go as they are yielded.
func (s *spool) items(ctx context.Context) <-chan work {
	out := make(chan work, batchSize)
	var r *bufio.Reader
	if s.file != nil {
		err := s.w.Flush()
		if err == nil {
			_, err = s.file.Seek(0, io.SeekStart)
		}
		if err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			close(out)
			return out
		}
		r = bufio.NewReaderSize(s.file, 256<<10)
	}
	go func() {
		defer close(out)
		send := func(w work) bool {
			select {
			case out <- w:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for i := range s.mem {
			w := s.mem[i]
			s.mem[i] = work{}
			if !send(w) {
				return
			}
		}
		s.mem = nil
		for n := int64(0); n < s.spilled; n++ {
			w, err := s.decode(r)
			if err != nil {
				s.err = fmt.Errorf("spool: item %d of %d: %w", n+1, s.spilled, err)
				return
			}
			if !send(w) {
				return
			}
		}
	}()
	return out
}

func (s *spool) decode(r *bufio.Reader) (work, error) {
	i, err := binary.ReadUvarint(r)
	if err != nil {
		return work{}, err
	}
	if i >= uint64(len(s.engines)) {
		return work{}, fmt.Errorf("engine %d of %d", i, len(s.engines))
	}
	it, err := decodeItem(r)
	return work{item: it, engine: s.engines[i]}, err
}

// close lets the file go. It may be called more than once.
func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name()) // when it could not be unlinked while open
		s.file = nil
	}
	s.mem = nil
}

// itemSize estimates the memory an item holds.
func itemSize(it *cloudtrail.Item) int64 {
	n := 256 + len(it.Skip) + len(it.EnvelopeAccount)
	if r := it.Record; r != nil {
		for _, f := range recordStrings(r) {
			n += len(*f)
		}
		n += len(r.RequestParameters) + len(r.ResponseElements)
	}
	return int64(n)
}

// recordStrings are the string fields of a record, in the spool's order.
// TestSpoolRoundTrip fails when Record gains a field this misses.
func recordStrings(r *cloudtrail.Record) []*cloudtrail.String {
	return []*cloudtrail.String{
		&r.EventID, &r.EventName, &r.EventSource, &r.EventTime, &r.AWSRegion, &r.RecipientAccountID,
		&r.ErrorCode, &r.ErrorMessage,
		&r.UserIdentity.Type, &r.UserIdentity.ARN, &r.UserIdentity.AccountID, &r.UserIdentity.PrincipalID, &r.UserIdentity.InvokedBy,
	}
}

// The flags of an item in the spool.
const (
	spoolHasRecord = 1 << iota
	spoolHasErr
	spoolHasRequest // RequestParameters is not nil
	spoolHasResponse
)

// encodeItem appends an item: its flags, then its fields, each as a length
// and its bytes. An item's error is written as its text: the verdict of an
// item that could not be read is an error of class malformed whose reason
// is that text (verify.Engine.Recheck), whatever the error's type.
func encodeItem(b []byte, it *cloudtrail.Item) []byte {
	var flags byte
	r := it.Record
	if r != nil {
		flags |= spoolHasRecord
		if r.RequestParameters != nil {
			flags |= spoolHasRequest
		}
		if r.ResponseElements != nil {
			flags |= spoolHasResponse
		}
	}
	if it.Err != nil {
		flags |= spoolHasErr
	}
	b = append(b, flags)
	field := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	if it.Err != nil {
		field(it.Err.Error())
	}
	field(it.Skip)
	field(it.EnvelopeAccount)
	if r != nil {
		for _, f := range recordStrings(r) {
			field(string(*f))
		}
		field(string(r.RequestParameters))
		field(string(r.ResponseElements))
	}
	return b
}

// spooledError is an item's error read back from the spool: its text.
type spooledError string

func (e spooledError) Error() string { return string(e) }

// maxSpoolField bounds a field's length when reading back, against a
// corrupted file: no field of a record the decoder returns comes near it.
const maxSpoolField = 1 << 30

func decodeItem(r *bufio.Reader) (cloudtrail.Item, error) {
	var it cloudtrail.Item
	flags, err := r.ReadByte()
	if err != nil {
		return it, err
	}
	field := func() ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if n > maxSpoolField {
			return nil, fmt.Errorf("field of %d bytes", n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	str := func(dst *string) error {
		b, err := field()
		*dst = string(b)
		return err
	}
	if flags&spoolHasErr != 0 {
		var msg string
		if err := str(&msg); err != nil {
			return it, err
		}
		it.Err = spooledError(msg)
	}
	if err := str(&it.Skip); err != nil {
		return it, err
	}
	if err := str(&it.EnvelopeAccount); err != nil {
		return it, err
	}
	if flags&spoolHasRecord == 0 {
		return it, nil
	}
	rec := &cloudtrail.Record{}
	for _, f := range recordStrings(rec) {
		var s string
		if err := str(&s); err != nil {
			return it, err
		}
		*f = cloudtrail.String(s)
	}
	for _, raw := range []struct {
		dst  *json.RawMessage
		flag byte
	}{{&rec.RequestParameters, spoolHasRequest}, {&rec.ResponseElements, spoolHasResponse}} {
		b, err := field()
		if err != nil {
			return it, err
		}
		if flags&raw.flag != 0 {
			*raw.dst = b
		}
	}
	it.Record = rec
	return it, nil
}
