package main

import (
	"bufio"
	"bytes"
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
// input is known (docs/performance-settings.md). Items are held encoded
// (encodeItem): up to spoolMemory bytes in memory, beyond that in a
// temporary file, so that memory stays flat however large the input. Every
// item goes through the encoding, spilled or not, so every replay checks
// that it keeps what a verdict needs. The file is unlinked as soon as it is
// made (where the system allows it), so that nothing is left behind
// whichever way replay ends.
type spool struct {
	limit int
	mem   []byte // the items, until the file is made
	file  *os.File
	w     *bufio.Writer
	n     int64 // items held

	engines []*verify.Engine // an item's engine is written as its index here
	index   map[*verify.Engine]uint64
	buf     []byte
	err     error // why the items could not all be read back
}

// spoolMemory bounds the bytes of items a spool holds in memory; tests set it
// to 0 to make every run spill.
var spoolMemory = 4 << 20

// spoolDir is where the spill file is made ("": the system's temporary folder).
var spoolDir = ""

// spillFiles counts the spill files made, for tests.
var spillFiles atomic.Int64

func newSpool() *spool {
	return &spool{limit: spoolMemory, index: map[*verify.Engine]uint64{}}
}

// len is the number of items held.
func (s *spool) len() int64 { return s.n }

// add appends an item.
func (s *spool) add(w work) error {
	i, ok := s.index[w.engine]
	if !ok {
		i = uint64(len(s.engines))
		s.engines = append(s.engines, w.engine)
		s.index[w.engine] = i
	}
	s.n++
	if s.file == nil {
		s.mem = encodeItem(binary.AppendUvarint(s.mem, i), &w.item)
		if len(s.mem) <= s.limit {
			return nil
		}
		return s.spill()
	}
	s.buf = encodeItem(binary.AppendUvarint(s.buf[:0], i), &w.item)
	if _, err := s.w.Write(s.buf); err != nil {
		return spoolError(err)
	}
	return nil
}

// spoolError is a failure to make or write the spill file, with what to do
// about it: the folder is full, read-only or missing.
func spoolError(err error) error {
	dir := spoolDir
	if dir == "" {
		dir = os.TempDir()
	}
	return fmt.Errorf("spool: %w (the records to evaluate wait in a temporary file in %s until the input is read: set TMPDIR to a folder with room)", err, dir)
}

// spill moves the items in memory to a new file, where the later ones go.
func (s *spool) spill() error {
	f, err := os.CreateTemp(spoolDir, "ebsguard-replay-*.spool")
	if err != nil {
		return spoolError(err)
	}
	spillFiles.Add(1)
	// Unlinked now where the system allows it: the open file is all there
	// is. Else close removes it.
	os.Remove(f.Name())
	s.file = f
	s.w = bufio.NewWriterSize(f, 256<<10)
	_, err = s.w.Write(s.mem)
	s.mem = nil
	if err != nil {
		return spoolError(err)
	}
	return nil
}

// items yields every item in the order added; add must not be called any
// more. After the channel is closed, err says whether they could not all be
// read back.
func (s *spool) items(ctx context.Context) <-chan work {
	out := make(chan work, batchSize)
	var r spoolReader = bytes.NewReader(s.mem)
	if s.file != nil {
		err := s.w.Flush()
		if err == nil {
			_, err = s.file.Seek(0, io.SeekStart)
		}
		if err != nil {
			s.err = spoolError(err)
			close(out)
			return out
		}
		r = bufio.NewReaderSize(s.file, 256<<10)
	}
	go func() {
		defer close(out)
		for n := int64(0); n < s.n; n++ {
			w, err := s.decode(r)
			if err != nil {
				s.err = fmt.Errorf("spool: item %d of %d: %w", n+1, s.n, err)
				return
			}
			select {
			case out <- w:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

type spoolReader interface {
	io.Reader
	io.ByteReader
}

func (s *spool) decode(r spoolReader) (work, error) {
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

func decodeItem(r spoolReader) (cloudtrail.Item, error) {
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
