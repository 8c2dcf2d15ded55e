package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// Item is one record read from an input, or the reason one could not be read.
// Err is set for malformed input; Record then holds whatever could be read
// (possibly nothing) so that the error can be attributed.
type Item struct {
	Record *Record
	Err    error
	// Skip is set for a well-formed input that is out of scope: an
	// EventBridge event that does not carry a CloudTrail record.
	Skip string
	// EnvelopeAccount is the account of the EventBridge event the record
	// arrived in ("" for a bare record): where the event came from, which
	// the record's own recipientAccountId must not contradict.
	EnvelopeAccount string
}

// Decoder reads records one at a time from a stream of any accepted shape:
// EventBridge events, bare records, {"Records": [...]} log files, lists of
// these, one per line or concatenated, optionally gzip-compressed.
//
// It holds one record in its buffer at a time, except for a log file whose
// "Records" key is not its first (CloudTrail always writes it first). Values
// are delimited by a validating scan of the bytes (syntax.go); only the
// records it returns are decoded with encoding/json. With Scope, a record of
// another event is recognised by that scan alone and passed over (scope.go).
type Decoder struct {
	src  io.Reader
	buf  []byte
	pos  int   // start of the unit being read: nothing before it is needed
	end  int   // end of the data in buf
	base int64 // input offset of buf[0], for messages
	eof  bool  // src is exhausted
	rerr error // src failed

	state  state
	expect expect            // inside a list
	queue  []json.RawMessage // records of a log file read whole
	sk     skipper
	scope  map[string]struct{}

	seen, skipped atomic.Int64
	// passedUnit: oversize passed over a unit (the buffer was reused, so
	// pos says nothing about progress).
	passedUnit bool
}

type state uint8

const (
	atTop        state = iota // between top-level values
	inList                    // a top-level list: its elements are top-level values
	inRecords                 // a log file's "Records": its elements are records
	afterRecords              // the members of a log file after "Records"
	resyncLine                // after a syntax error: skipping the rest of the line
	resyncStart               // after a syntax error: at the start of a line
	finished                  // nothing more to read
)

type expect uint8

const (
	elemOrClose expect = iota // just after '['
	sepOrClose                // after an element
	elem                      // after ','
)

const bufSize = 256 << 10

// NewDecoder detects gzip from the content and returns a decoder.
func NewDecoder(r io.Reader) (*Decoder, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		src = zr
	}
	return &Decoder{src: src, buf: make([]byte, bufSize)}, nil
}

// Scope limits Next to the records of the named events and to the input it
// cannot read: a well-formed record of another event, or an EventBridge event
// of another kind, is counted in Skipped and passed over without being
// decoded. Call it before the first Next.
func (d *Decoder) Scope(eventNames []string) {
	d.scope = make(map[string]struct{}, len(eventNames))
	for _, n := range eventNames {
		d.scope[n] = struct{}{}
	}
}

// Seen is the number of records (and unreadable values) read so far,
// returned or passed over. It may be read while another goroutine calls Next.
func (d *Decoder) Seen() int64 { return d.seen.Load() }

// Skipped is the number of records passed over because of Scope.
func (d *Decoder) Skipped() int64 { return d.skipped.Load() }

// Next returns the next item, and false when the input is exhausted.
func (d *Decoder) Next() (Item, bool) {
	for {
		for len(d.queue) > 0 {
			raw := d.queue[0]
			d.queue[0] = nil
			d.queue = d.queue[1:]
			if it, ok := d.record(raw, recordScan{}, false); ok {
				return it, true
			}
		}
		if d.state == finished {
			return Item{}, false
		}
		if it, ok := d.step(); ok {
			return it, true
		}
	}
}

// step reads one unit: a top-level value, a list element, a separator, a
// member after "Records", or a line while resynchronising. It returns an
// item when one is complete; it returns none, having read nothing, when it
// needed more input and got it.
func (d *Decoder) step() (Item, bool) {
	switch d.state {
	case resyncLine:
		if k := bytes.IndexByte(d.buf[d.pos:d.end], '\n'); k >= 0 {
			d.pos += k + 1
			d.state = resyncStart
		} else {
			d.pos = d.end
			if !d.fill() {
				d.state = finished
			}
		}
		return Item{}, false
	case resyncStart:
		if d.pos >= d.end {
			if !d.fill() {
				d.state = finished
			}
		} else if c := d.buf[d.pos]; c == '{' || c == '[' {
			d.state = atTop
		} else {
			d.state = resyncLine
		}
		return Item{}, false
	}
	i := skipSpace(d.buf[:d.end], d.pos)
	d.pos = i
	if i >= d.end {
		if d.fill() {
			return Item{}, false
		}
		return d.endOfInput()
	}
	b := d.buf[:d.end]
	switch d.state {
	case atTop:
		return d.top(b, i)
	case inList, inRecords:
		return d.element(b, i)
	default: // afterRecords
		return d.member(b, i)
	}
}

// top reads a top-level value at b[i].
func (d *Decoder) top(b []byte, i int) (Item, bool) {
	switch b[i] {
	case '[':
		d.pos, d.state, d.expect = i+1, inList, elemOrClose
		return Item{}, false
	case '{':
		// A log file is streamed record by record when "Records" comes
		// first, as CloudTrail writes it.
		switch j, st := recordsFirst(b, i); {
		case st == scanMore && !d.eof:
			return d.more()
		case st == scanOK:
			d.pos, d.state, d.expect = j, inRecords, elemOrClose
			return Item{}, false
		}
	}
	return d.value(b, i)
}

// recordsFirst matches `{ "Records" : [` at b[i] and returns the offset after
// the '['.
func recordsFirst(b []byte, i int) (int, scanStatus) {
	const key = `"Records"`
	j := skipSpace(b, i+1)
	for k := 0; k < len(key); k++ {
		if j+k >= len(b) {
			return j, scanMore
		}
		if b[j+k] != key[k] {
			return j, scanBad
		}
	}
	j = skipSpace(b, j+len(key))
	for _, want := range []byte{':', '['} {
		if j >= len(b) {
			return j, scanMore
		}
		if b[j] != want {
			return j, scanBad
		}
		j = skipSpace(b, j+1)
	}
	return j, scanOK
}

// element reads a separator, the end of a list, or an element at b[i].
func (d *Decoder) element(b []byte, i int) (Item, bool) {
	c := b[i]
	if c == ']' && d.expect != elem {
		d.pos = i + 1
		if d.state == inRecords {
			d.state = afterRecords
		} else {
			d.state = atTop
		}
		return Item{}, false
	}
	if d.expect == sepOrClose {
		if c != ',' {
			return d.fail(i, "expected ',' or ']' after an element of a list")
		}
		d.pos, d.expect = i+1, elem
		return Item{}, false
	}
	var it Item
	var ok bool
	d.passedUnit = false
	if d.state == inRecords {
		it, ok = d.recordAt(b, i)
	} else {
		it, ok = d.value(b, i)
	}
	if (d.pos > i || d.passedUnit) && (d.state == inList || d.state == inRecords) {
		d.expect = sepOrClose
	}
	d.passedUnit = false
	return it, ok
}

// member reads one member of a log file after its "Records", or its end.
func (d *Decoder) member(b []byte, i int) (Item, bool) {
	switch b[i] {
	case '}':
		d.pos, d.state = i+1, atTop
		return Item{}, false
	case ',':
		j, st := d.sk.key(b, skipSpace(b, i+1))
		if st == scanOK {
			var why string
			j, st, why = d.sk.skip(b, j)
			if st == scanBad {
				return d.fail(j, why)
			}
		}
		switch st {
		case scanMore:
			return d.more()
		case scanBad:
			return d.fail(j, "expected a string key and ':'")
		}
		d.pos = j
		return Item{}, false
	}
	return d.fail(i, "expected ',' or '}' after the records of a log file")
}

// value reads a top-level value, or an element of a top-level list, at b[i]:
// an EventBridge event, a bare record or a log file.
func (d *Decoder) value(b []byte, i int) (Item, bool) {
	if d.scope != nil && b[i] == '{' {
		r, st := d.sk.scanObject(b, i)
		if st == scanMore {
			return d.more()
		}
		if st == scanOK {
			d.pos = r.end
			if name, sure := r.topRecord(b, &d.sk); sure && !d.inScope(name) {
				d.pass()
				return Item{}, false
			}
			return d.object(b[i:r.end])
		}
		// Not well-formed: the skipper below says where and why.
	}
	end, st, why := d.sk.skip(b, i)
	switch st {
	case scanMore:
		return d.more()
	case scanBad:
		return d.fail(end, why)
	}
	d.pos = end
	return d.object(b[i:end])
}

// recordAt reads an element of a log file's "Records" at b[i].
func (d *Decoder) recordAt(b []byte, i int) (Item, bool) {
	if d.scope != nil && b[i] == '{' {
		r, st := d.sk.scanObject(b, i)
		if st == scanMore {
			return d.more()
		}
		if st == scanOK {
			d.pos = r.end
			return d.record(b[i:r.end], r, true)
		}
	}
	end, st, why := d.sk.skip(b, i)
	switch st {
	case scanMore:
		return d.more()
	case scanBad:
		return d.fail(end, why)
	}
	d.pos = end
	return d.record(b[i:end], recordScan{}, false)
}

// record decodes one record, unless the scan (done now if not yet) is sure
// that it is out of scope.
func (d *Decoder) record(raw []byte, r recordScan, scanned bool) (Item, bool) {
	if d.scope != nil {
		if !scanned {
			var st scanStatus
			if r, st = d.sk.scanObject(raw, 0); st != scanOK {
				r.sure = false
			}
		}
		if r.sure && !d.inScope(r.name) {
			d.pass()
			return Item{}, false
		}
	}
	return d.emit(parseRecord(raw))
}

func (d *Decoder) inScope(name []byte) bool {
	_, ok := d.scope[string(name)] // no allocation: the compiler looks the bytes up
	return ok
}

func (d *Decoder) inScopeName(name string) bool {
	_, ok := d.scope[name]
	return ok
}

// pass counts a record passed over without decoding.
func (d *Decoder) pass() {
	d.seen.Add(1)
	d.skipped.Add(1)
}

// emit counts an item and returns it, unless Scope leaves it out.
func (d *Decoder) emit(it Item) (Item, bool) {
	if d.scope != nil && it.Err == nil && (it.Skip != "" || it.Record != nil && !d.inScopeName(string(it.Record.EventName))) {
		d.pass()
		return Item{}, false
	}
	d.seen.Add(1)
	return it, true
}

// object classifies a well-formed top-level value (or element of a top-level
// list) with encoding/json: a log file's records are queued, anything else is
// one item.
func (d *Decoder) object(raw []byte) (Item, bool) {
	if raw[0] != '{' {
		return d.emit(Item{Err: fmt.Errorf("malformed input: expected a JSON object, found %.20q", raw)})
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return d.emit(Item{Err: fmt.Errorf("malformed input: %w", err)})
	}
	if len(fields) == 0 {
		return d.emit(Item{Err: errors.New("malformed input: empty JSON object")})
	}
	if recs, ok := fields["Records"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(recs, &list); err != nil {
			return d.emit(Item{Err: fmt.Errorf(`malformed log file: "Records": %w`, err)})
		}
		d.queue = list
		return Item{}, false
	}
	return d.emit(classify(fields, raw))
}

// more reads more input for the unit being read (from d.pos); at the end of
// the input, the unit is cut short.
func (d *Decoder) more() (Item, bool) {
	if d.end-d.pos >= MaxRecordBytes && !d.eof && d.rerr == nil {
		return d.oversize()
	}
	if d.fill() {
		return Item{}, false
	}
	d.state = finished
	if d.rerr != nil {
		return d.emit(Item{Err: fmt.Errorf("malformed input: read: %w", d.rerr)})
	}
	return d.emit(Item{Err: fmt.Errorf("malformed input at byte %d: unexpected end of input", d.base+int64(d.end))})
}

// endOfInput ends the stream between units.
func (d *Decoder) endOfInput() (Item, bool) {
	st := d.state
	d.state = finished
	switch {
	case d.rerr != nil:
		return d.emit(Item{Err: fmt.Errorf("malformed input: read: %w", d.rerr)})
	case st == inList || st == inRecords:
		return d.emit(Item{Err: errors.New("malformed input: unexpected end of input inside a list of records")})
	case st == afterRecords:
		return d.emit(Item{Err: errors.New("malformed input: unexpected end of input inside a log file")})
	}
	return Item{}, false
}

// fill reads more input, keeping the unit being read (from d.pos). It
// reports whether anything changed: more data, or the end of the input
// discovered.
func (d *Decoder) fill() bool {
	if d.eof || d.rerr != nil {
		return false
	}
	if d.pos > 0 {
		n := copy(d.buf, d.buf[d.pos:d.end])
		d.base += int64(d.pos)
		d.pos, d.end = 0, n
	}
	if d.end == len(d.buf) { // one unit fills the buffer
		d.buf = append(d.buf, make([]byte, len(d.buf))...)
	}
	for {
		n, err := d.src.Read(d.buf[d.end:])
		d.end += n
		switch {
		case errors.Is(err, io.EOF):
			d.eof, d.sk.eof = true, true
			return true
		case err != nil:
			d.rerr = err
			return n > 0
		case n > 0:
			return true
		}
	}
}

// fail reports a syntax error at b[off] and resynchronises on the next line
// that starts an object or list, so that one broken line of a JSON-lines
// file does not lose the lines after it.
func (d *Decoder) fail(off int, why string) (Item, bool) {
	msg := fmt.Sprintf("malformed input at byte %d: %s", d.base+int64(off), why)
	if off < d.end {
		msg += fmt.Sprintf(" (found %q)", d.buf[off])
	}
	d.queue = nil
	d.state = resyncLine // from the start of the unit
	return d.emit(Item{Err: errors.New(msg)})
}

// classify turns a top-level object into an item: an EventBridge event whose
// detail is a CloudTrail record, or a bare record.
func classify(fields map[string]json.RawMessage, raw []byte) Item {
	if detail, ok := fields["detail"]; ok {
		if rawType, isEvent := fields["detail-type"]; isEvent {
			var detailType string
			json.Unmarshal(rawType, &detailType)
			if detailType != cloudTrailDetailType {
				return otherEvent(detailType, raw)
			}
			it := parseRecord(detail)
			var account string
			json.Unmarshal(fields["account"], &account)
			it.EnvelopeAccount = account
			return it
		}
	}
	if _, ok := fields[eventNameField]; ok {
		return parseRecord(raw)
	}
	return Item{Err: errors.New("malformed input: an object that is neither an EventBridge event, a CloudTrail record nor a CloudTrail log file")}
}

// cloudTrailDetailType marks the EventBridge events that carry a CloudTrail record.
const cloudTrailDetailType = "AWS API Call via CloudTrail"

// otherEvent is an EventBridge event of another kind: skipped, with what the
// envelope says about where it came from.
func otherEvent(detailType string, raw []byte) Item {
	var env struct {
		Account String `json:"account"`
		Region  String `json:"region"`
		Time    String `json:"time"`
	}
	json.Unmarshal(raw, &env)
	return Item{
		Record: &Record{RecipientAccountID: env.Account, AWSRegion: env.Region, EventTime: env.Time},
		Skip:   "unsupported:detail-type:" + detailType,
	}
}

// parseRecord decodes one CloudTrail record.
func parseRecord(raw json.RawMessage) Item {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Item{Err: fmt.Errorf("malformed record: expected a JSON object, found %.20q", raw)}
	}
	var rec Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Item{Record: &rec, Err: fmt.Errorf("malformed record: %w", err)}
	}
	if rec.EventName == "" {
		return Item{Record: &rec, Err: errors.New("malformed record: no eventName")}
	}
	return Item{Record: &rec}
}

// DecodeAll reads every item of a byte slice: the Lambda's whole payload.
func DecodeAll(b []byte) []Item {
	d, err := NewDecoder(bytes.NewReader(b))
	if err != nil {
		return []Item{{Err: err}}
	}
	var out []Item
	for {
		it, ok := d.Next()
		if !ok {
			return out
		}
		out = append(out, it)
	}
}
