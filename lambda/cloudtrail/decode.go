package cloudtrail

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
}

// Decoder reads records one at a time from a stream of any accepted shape:
// EventBridge events, bare records, {"Records": [...]} log files, lists of
// these, one per line or concatenated, optionally gzip-compressed. It holds
// one record in memory at a time, except for a log file whose "Records" key
// is not its first (CloudTrail always writes it first).
type Decoder struct {
	src    *bufio.Reader
	dec    *json.Decoder
	queue  []json.RawMessage
	inList bool // inside a list of records
	inLog  bool // that list is a log file's "Records": the object closes after it
	done   bool
}

// NewDecoder detects gzip from the content and returns a decoder.
func NewDecoder(r io.Reader) (*Decoder, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	return &Decoder{src: br, dec: newJSON(br)}, nil
}

func newJSON(r io.Reader) *json.Decoder {
	d := json.NewDecoder(r)
	d.UseNumber()
	return d
}

// Next returns the next item, and false when the input is exhausted.
func (d *Decoder) Next() (Item, bool) {
	for !d.done {
		if len(d.queue) > 0 {
			raw := d.queue[0]
			d.queue = d.queue[1:]
			return parseRecord(raw), true
		}
		item, ok, err := d.step()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if d.inList {
					return d.fail(fmt.Errorf("malformed input: unexpected end of input inside a list of records"))
				}
				d.done = true
				break
			}
			return d.fail(fmt.Errorf("malformed input: %w", err))
		}
		if ok {
			return item, true
		}
	}
	return Item{}, false
}

// step advances the JSON stream; it returns an item when one is complete.
func (d *Decoder) step() (Item, bool, error) {
	if d.inList {
		if d.dec.More() {
			var raw json.RawMessage
			if err := d.dec.Decode(&raw); err != nil {
				return Item{}, false, err
			}
			return parseRecord(raw), true, nil
		}
		if _, err := d.dec.Token(); err != nil { // ']'
			return Item{}, false, err
		}
		d.inList = false
		if d.inLog {
			d.inLog = false
			_, err := d.readObjectRest(nil)
			return Item{}, false, midValue(err)
		}
		return Item{}, false, nil
	}
	tok, err := d.dec.Token()
	if err != nil {
		return Item{}, false, err
	}
	switch tok {
	case json.Delim('['):
		d.inList = true
		return Item{}, false, nil
	case json.Delim('{'):
		item, ok, err := d.object()
		return item, ok, midValue(err)
	default:
		return Item{Err: fmt.Errorf("malformed input: expected a JSON object, found %v", tok)}, true, nil
	}
}

// object reads a top-level object whose '{' was consumed.
func (d *Decoder) object() (Item, bool, error) {
	if !d.dec.More() {
		_, err := d.dec.Token()
		return Item{Err: errors.New("malformed input: empty JSON object")}, err == nil, err
	}
	key, err := d.dec.Token()
	if err != nil {
		return Item{}, false, err
	}
	if key == "Records" {
		if tok, err := d.dec.Token(); err != nil {
			return Item{}, false, err
		} else if tok != json.Delim('[') {
			return Item{}, false, fmt.Errorf(`"Records" is not a list`)
		}
		d.inList, d.inLog = true, true
		return Item{}, false, nil
	}
	fields := map[string]json.RawMessage{}
	var first json.RawMessage
	if err := d.dec.Decode(&first); err != nil {
		return Item{}, false, err
	}
	fields[fmt.Sprint(key)] = first
	if _, err := d.readObjectRest(fields); err != nil {
		return Item{}, false, err
	}
	if recs, ok := fields["Records"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(recs, &list); err != nil {
			return Item{Err: fmt.Errorf(`malformed log file: "Records": %w`, err)}, true, nil
		}
		d.queue = list
		return Item{}, false, nil
	}
	return classify(fields), true, nil
}

// readObjectRest reads the remaining members of an object and its '}'. With
// a nil map the members are skipped.
func (d *Decoder) readObjectRest(fields map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	for d.dec.More() {
		key, err := d.dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := d.dec.Decode(&v); err != nil {
			return nil, err
		}
		if fields != nil {
			fields[fmt.Sprint(key)] = v
		}
	}
	_, err := d.dec.Token() // '}'
	return fields, err
}

// midValue turns the end of input inside a value into an error: only the end
// of input between values is the end of the stream.
func midValue(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// fail reports a syntax error and resynchronises on the next line that starts
// an object or list, so that one broken line of a JSON-lines file does not
// lose the lines after it.
func (d *Decoder) fail(err error) (Item, bool) {
	d.inList, d.inLog, d.queue = false, false, nil
	rest := bufio.NewReaderSize(io.MultiReader(d.dec.Buffered(), d.src), 64<<10)
	for {
		// Skip the rest of the current line (however long), then stop before
		// a line that opens a value.
		_, rerr := rest.ReadSlice('\n')
		for errors.Is(rerr, bufio.ErrBufferFull) {
			_, rerr = rest.ReadSlice('\n')
		}
		if rerr != nil {
			d.done = true
			break
		}
		if next, _ := rest.Peek(1); len(next) == 1 && (next[0] == '{' || next[0] == '[') {
			break
		}
	}
	d.src = rest
	d.dec = newJSON(rest)
	return Item{Err: err}, true
}

// classify turns a top-level object into an item: an EventBridge event whose
// detail is a CloudTrail record, or a bare record.
func classify(fields map[string]json.RawMessage) Item {
	if detail, ok := fields["detail"]; ok {
		if raw, isEvent := fields["detail-type"]; isEvent {
			var detailType string
			json.Unmarshal(raw, &detailType)
			if detailType != cloudTrailDetailType {
				return otherEvent(detailType, fields)
			}
			return parseRecord(detail)
		}
	}
	if _, ok := fields["eventName"]; ok {
		raw, err := json.Marshal(fields)
		if err != nil {
			return Item{Err: fmt.Errorf("malformed record: %w", err)}
		}
		return parseRecord(raw)
	}
	return Item{Err: errors.New("malformed input: an object that is neither an EventBridge event, a CloudTrail record nor a CloudTrail log file")}
}

// cloudTrailDetailType marks the EventBridge events that carry a CloudTrail record.
const cloudTrailDetailType = "AWS API Call via CloudTrail"

// otherEvent is an EventBridge event of another kind: skipped, with what the
// envelope says about where it came from.
func otherEvent(detailType string, fields map[string]json.RawMessage) Item {
	var env struct {
		Account String `json:"account"`
		Region  String `json:"region"`
		Time    String `json:"time"`
	}
	raw, _ := json.Marshal(fields)
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
