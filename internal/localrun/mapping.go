package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/ebsguard/ebsguard/lambda/recheck"
)

// mapping plays the Lambda SQS event source mapping of the re-check queue
// for one group of samples, and files what every invocation produced under
// the sample whose event it was.
type mapping struct {
	fn      *Function
	sns     *SNS
	opts    Options
	results *[]Result
	first   int            // the group's first result
	byEvent map[string]int // eventID → result
	sentAt  []time.Time    // per result of the group: its first invocation
}

// send invokes the function with a sample as EventBridge would.
func (m *mapping) send(ctx context.Context, s Sample) {
	*m.results = append(*m.results, Result{Sample: s.Name})
	idx := len(*m.results) - 1
	m.sentAt = append(m.sentAt, time.Now())
	inv, err := m.fn.InvokeLogged(ctx, s.Event)
	r := &(*m.results)[idx]
	r.Err = err
	for _, v := range verdicts(inv.Logs) {
		if id := eventID(v); id != "" {
			m.byEvent[id] = idx
		}
		r.Verdicts = append(r.Verdicts, v)
	}
	n, err := m.sns.Receive()
	for _, x := range n {
		m.file(idx, x)
	}
	if err != nil && r.Err == nil {
		r.Err = err
	}
}

// file adds a notification to the result of the event it names.
func (m *mapping) file(fallback int, n Notification) {
	idx := fallback
	if i, ok := m.byEvent[eventID(json.RawMessage(n.Message))]; ok {
		idx = i
	}
	r := &(*m.results)[idx]
	r.Notifications = append(r.Notifications, n)
}

// play receives from the re-check queue and invokes the function with each
// batch until the queue is empty (delayed and in-flight messages included),
// bounded by RecheckTimeout, after which what is left is purged and counted
// as an error of its samples.
func (m *mapping) play(ctx context.Context) error {
	g, queue := m.sns.Gateway, m.sns.RecheckQueueURL
	deadline := time.Now().Add(m.opts.RecheckTimeout)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		depth, err := g.Depth(queue)
		if err != nil {
			return fmt.Errorf("re-check queue: %w", err)
		}
		if depth == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			m.giveUp(depth)
			return nil
		}
		// A long poll, as the mapping's pollers do; delayed messages stay
		// hidden in goaws until their delay has passed.
		msgs, err := g.Receive(queue, m.opts.BatchSize, time.Second)
		if err != nil {
			return fmt.Errorf("re-check queue: %w", err)
		}
		if len(msgs) > 0 {
			m.deliver(ctx, msgs)
		}
	}
}

// deliver invokes the function with one batch as a Lambda SQS event, deletes
// the messages that succeeded, and leaves the failed ones to come back.
func (m *mapping) deliver(ctx context.Context, msgs []QueueMessage) {
	ev := events.SQSEvent{}
	for _, q := range msgs {
		rec := events.SQSMessage{MessageId: q.MessageID, ReceiptHandle: q.ReceiptHandle, Body: q.Body, Md5OfBody: q.MD5OfBody,
			Attributes:        map[string]string{"SenderId": CentralAccount, "ApproximateFirstReceiveTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)},
			MessageAttributes: map[string]events.SQSMessageAttribute{}, EventSource: "aws:sqs", EventSourceARN: m.sns.RecheckQueueARN, AWSRegion: Region}
		if q.MD5OfMessageAttributes != "" {
			rec.Md5OfMessageAttributes = q.MD5OfMessageAttributes
		}
		for k, v := range q.Attributes {
			if k == "ApproximateReceiveCount" || k == "SentTimestamp" {
				rec.Attributes[k] = v
			}
		}
		for k, a := range q.MessageAttributes {
			attr := events.SQSMessageAttribute{DataType: a.DataType, StringListValues: []string{}, BinaryListValues: [][]byte{}}
			if a.StringValue != "" {
				attr.StringValue = aws(a.StringValue)
			}
			attr.BinaryValue = []byte(a.BinaryValue)
			rec.MessageAttributes[k] = attr
		}
		ev.Records = append(ev.Records, rec)
	}
	payload, _ := json.Marshal(ev)
	inv, err := m.fn.InvokeLogged(ctx, payload)
	at := time.Now() // when the re-check's verdict is known: it may look again for seconds first

	// Which messages failed: all of them when the invocation failed or its
	// answer cannot be read, or names a message not in the batch, as Lambda
	// treats it; else those listed.
	failed := map[string]bool{}
	all := func() {
		for _, q := range msgs {
			failed[q.MessageID] = true
		}
	}
	if err != nil {
		all()
	} else if len(inv.Response) > 0 && string(inv.Response) != "null" {
		var resp events.SQSEventResponse
		if json.Unmarshal(inv.Response, &resp) != nil {
			all()
			err = fmt.Errorf("the function's answer is not an SQSEventResponse: %s", inv.Response)
		}
		for _, f := range resp.BatchItemFailures {
			known := false
			for _, q := range msgs {
				known = known || q.MessageID == f.ItemIdentifier
			}
			if !known {
				all()
				err = fmt.Errorf("batch item failure %q names no message of the batch", f.ItemIdentifier)
				break
			}
			failed[f.ItemIdentifier] = true
		}
	}

	// One Recheck per message, filed under its sample.
	vs := verdicts(inv.Logs)
	notes, nerr := m.sns.Receive()
	if nerr != nil && err == nil {
		err = nerr
	}
	for _, q := range msgs {
		id := eventID(recheckRecord(q.Body))
		idx, ok := m.byEvent[id]
		if !ok {
			idx = m.first
		}
		rc := Recheck{EventID: id, Attempt: attempt(q), After: at.Sub(m.sentAt[idx-m.first]), Failed: failed[q.MessageID], Err: err}
		for _, v := range vs {
			if eventID(v) == id {
				rc.Verdicts = append(rc.Verdicts, v)
			}
		}
		for _, n := range notes {
			if eventID(json.RawMessage(n.Message)) == id {
				rc.Notifications = append(rc.Notifications, n)
			}
		}
		r := &(*m.results)[idx]
		r.Rechecks = append(r.Rechecks, rc)
		r.Verdicts = append(r.Verdicts, rc.Verdicts...)
		if !failed[q.MessageID] {
			if derr := m.sns.Gateway.Delete(m.sns.RecheckQueueURL, q.ReceiptHandle); derr != nil && r.Err == nil {
				r.Err = fmt.Errorf("delete re-check message %s: %w", q.MessageID, derr)
			}
		}
	}
	for _, n := range notes {
		m.file(m.first, n)
	}
}

// giveUp purges what is left of the queue and says so in the results of the
// group.
func (m *mapping) giveUp(depth int) {
	m.sns.call(map[string][]string{"Action": {"PurgeQueue"}, "QueueUrl": {m.sns.RecheckQueueURL}}, nil)
	err := fmt.Errorf("%d re-check message(s) still queued after %v", depth, m.opts.RecheckTimeout)
	for i := m.first; i < len(*m.results); i++ {
		if r := &(*m.results)[i]; r.Err == nil {
			r.Err = err
		}
	}
}

// verdicts returns the verdicts of an invocation's "evaluated" lines, each
// made whole again from its "verdict part" lines when it was logged in parts.
func verdicts(logs []map[string]json.RawMessage) []json.RawMessage {
	var out []json.RawMessage
	var head map[string]json.RawMessage // the verdict being completed
	flush := func() {
		if head != nil {
			b, _ := json.Marshal(head)
			out = append(out, b)
			head = nil
		}
	}
	for _, l := range logs {
		switch string(l["message"]) {
		case `"evaluated"`:
			flush()
			if json.Unmarshal(l["verdict"], &head) != nil {
				head = nil
			}
		case `"verdict part"`:
			var part map[string]json.RawMessage
			if head == nil || json.Unmarshal(l["verdict"], &part) != nil {
				continue
			}
			for _, k := range []string{"resources", "findings"} {
				var have, more []json.RawMessage
				json.Unmarshal(head[k], &have)
				json.Unmarshal(part[k], &more)
				head[k], _ = json.Marshal(append(have, more...))
			}
		}
	}
	flush()
	return out
}

// eventID finds the first "eventID" in a JSON document (a verdict, a
// re-check message, an EventBridge event), however deep.
func eventID(doc json.RawMessage) string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return ""
	}
	var find func(any) string
	find = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["eventID"].(string); ok && s != "" {
				return s
			}
			for _, k := range []string{"record", "detail", "Records"} {
				if s := find(x[k]); s != "" {
					return s
				}
			}
			for _, y := range x {
				if s := find(y); s != "" {
					return s
				}
			}
		case []any:
			for _, y := range x {
				if s := find(y); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return find(v)
}

// recheckRecord is the record a re-check message carries (compressed in
// recordGzip), else the body itself.
func recheckRecord(body string) json.RawMessage {
	if m, err := recheck.Parse(body); err == nil {
		return m.Record
	}
	return json.RawMessage(body)
}

// attempt is the message's own count of re-checks, else its receive count.
func attempt(q QueueMessage) int {
	var body struct{ Attempt int }
	if json.Unmarshal([]byte(q.Body), &body) == nil && body.Attempt > 0 {
		return body.Attempt
	}
	n, _ := strconv.Atoi(q.Attributes["ApproximateReceiveCount"])
	return n
}

func aws(s string) *string { return &s }
