package cloudtrail

import (
	"errors"
	"fmt"
	"io"
	"regexp"
)

// MaxRecordBytes bounds one record (one unit of input: a record, an event,
// or a log file whose "Records" is not its first key). CloudTrail writes no
// record near it: EventBridge delivers events of at most 256 KB, and
// CloudTrail leaves out request and response elements too large to record.
// A larger unit is an error item, read to its end in constant memory, so
// that one huge record cannot take the memory of the whole run.
const MaxRecordBytes = 4 << 20

var (
	headEventID   = regexp.MustCompile(`"eventID"\s*:\s*"([^"\\]{1,256})"`)
	headEventName = regexp.MustCompile(`"eventName"\s*:\s*"([^"\\]{1,128})"`)
)

// valueEnd finds the end of one JSON value read in pieces: it tracks only
// nesting, strings and escapes (the value is not validated: it is not read).
type valueEnd struct {
	depth      int
	inStr, esc bool
	started    bool
	scalar     bool // a number or literal: ends at a delimiter
}

// scan reads b and returns the offset just after the value's end, and
// whether the end was found.
func (s *valueEnd) scan(b []byte) (int, bool) {
	for k, c := range b {
		switch {
		case s.inStr:
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				if s.depth == 0 {
					return k + 1, true
				}
			}
		case !s.started:
			s.started = true
			switch c {
			case '{', '[':
				s.depth++
			case '"':
				s.inStr = true
			default:
				s.scalar = true
			}
		case s.scalar:
			if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				return k, true
			}
		case c == '"':
			s.inStr = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			s.depth--
			if s.depth == 0 {
				return k + 1, true
			}
		}
	}
	return len(b), false
}

// oversize passes over the unit at d.pos, which has filled MaxRecordBytes
// without ending, reading on through the buffer it has, and returns it as an
// error item named by the event ID and name its first bytes hold.
func (d *Decoder) oversize() (Item, bool) {
	start := d.base + int64(d.pos)
	head := d.buf[d.pos:min(d.pos+64<<10, d.end)]
	var rec *Record
	if m := headEventID.FindSubmatch(head); m != nil {
		rec = &Record{EventID: String(m[1])}
		if n := headEventName.FindSubmatch(head); n != nil {
			rec.EventName = String(n[1])
		}
	}
	var s valueEnd
	off := d.pos
	for {
		k, done := s.scan(d.buf[off:d.end])
		if done {
			d.pos = off + k
			break
		}
		// All of the buffer is the unit: read on into it, from its start.
		d.base += int64(d.end)
		d.pos, d.end, off = 0, 0, 0
		n, err := d.src.Read(d.buf)
		d.end = n
		switch {
		case errors.Is(err, io.EOF) && n == 0:
			d.eof, d.sk.eof = true, true
			d.state = finished
			return d.emit(Item{Record: rec, Err: fmt.Errorf("malformed input at byte %d: a record over %d bytes ends before its end", start, MaxRecordBytes)})
		case errors.Is(err, io.EOF):
			d.eof, d.sk.eof = true, true
		case err != nil && n == 0:
			d.rerr = err
			d.state = finished
			return d.emit(Item{Record: rec, Err: fmt.Errorf("malformed input: read: %w", err)})
		}
	}
	d.passedUnit = true
	return d.emit(Item{Record: rec, Err: fmt.Errorf("malformed input at byte %d: a record over %d bytes (CloudTrail writes none so large): not evaluated", start, MaxRecordBytes)})
}
