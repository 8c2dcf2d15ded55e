package recheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// maxUnwrap bounds what Unwrap reads of a re-check message or a
// receive-message answer: ten messages of SQS's largest size, and more.
const maxUnwrap = 16 << 20

// Unwrap lets a dead letter lead somewhere: it recognises, from its first
// key, a re-check message body ({"record": ...} or {"recordGzip": ...}) or
// the answer of `aws sqs receive-message` ({"Messages": [...]}, each Body a
// re-check message or an event the function's own dead-letter queue kept),
// and returns the records they carry, one a line, for any reader of
// CloudTrail input. Anything else is returned unchanged.
func Unwrap(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4 << 10)
	switch firstKey(head) {
	case "record":
		b, err := readAll(br)
		if err != nil {
			return nil, err
		}
		m, err := Parse(string(b))
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(append(m.Record, '\n')), nil
	case "Messages":
		b, err := readAll(br)
		if err != nil {
			return nil, err
		}
		var out struct {
			Messages []struct {
				MessageID string `json:"MessageId"`
				Body      string `json:"Body"`
			} `json:"Messages"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, fmt.Errorf("receive-message answer: %w", err)
		}
		var all bytes.Buffer
		for _, msg := range out.Messages {
			body := []byte(msg.Body)
			if firstKey(body) == "record" {
				m, err := Parse(msg.Body)
				if err != nil {
					return nil, fmt.Errorf("message %s: %w", msg.MessageID, err)
				}
				body = m.Record
			}
			all.Write(body)
			all.WriteByte('\n')
		}
		return &all, nil
	}
	return br, nil
}

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxUnwrap+1))
	if err != nil {
		return nil, fmt.Errorf("read re-check message: %w", err)
	}
	if len(b) > maxUnwrap {
		return nil, fmt.Errorf("re-check message over %d bytes", maxUnwrap)
	}
	return b, nil
}

// firstKey tells what the JSON object b starts with is by its top-level
// keys (as far as b holds them): "record" for a re-check message (which has
// record or recordGzip, attempt and firstSeen), "Messages" for a
// receive-message answer, else "".
func firstKey(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		switch k, _ := t.(string); k {
		case "record", "recordGzip", "attempt", "firstSeen":
			return "record"
		case "Messages":
			return k
		case "":
			return ""
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
}
