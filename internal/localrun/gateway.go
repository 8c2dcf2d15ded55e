package localrun

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ebsguard/ebsguard/internal/localaws"
)

// Gateway stands in front of goaws for the function: it passes SNS and SQS
// Query requests through, translates the AWS JSON 1.0 protocol that SDK v2's
// SQS client speaks (since sqs v1.29) into goaws's Query protocol, and
// injects faults, as localaws does, per action ("Publish", "SendMessage") or
// per service ("sns", "sqs"). It also remembers when each message was sent
// and how often it was received: goaws v0.4.5 answers SentTimestamp with the
// time of the receive and ApproximateReceiveCount always 1.
type Gateway struct {
	goaws string // goaws's own URL
	url   string
	srv   *http.Server

	mu       sync.Mutex
	faults   map[string][]localaws.Fault
	counts   map[string]int
	sent     map[string]time.Time // message ID → sent
	receives map[string]int       // message ID → receives
}

func startGateway(goaws string) (*Gateway, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gateway: listen: %w", err)
	}
	g := &Gateway{goaws: goaws, url: "http://" + l.Addr().String(), faults: map[string][]localaws.Fault{},
		counts: map[string]int{}, sent: map[string]time.Time{}, receives: map[string]int{}}
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	go g.srv.Serve(l)
	return g, nil
}

// Inject queues a fault: the next Count calls of API (an action, or "sns" or
// "sqs" for every action of the service) are throttled, fail with a 5xx, are
// slowed by Delay, or find the endpoint "unavailable" (the connection is
// closed without an answer).
func (g *Gateway) Inject(f localaws.Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults[f.API] = append(g.faults[f.API], f)
}

// ClearFaults drops the faults not yet applied and returns how many calls
// they would still have affected: an outage ends.
func (g *Gateway) ClearFaults() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	left := 0
	for _, q := range g.faults {
		for _, f := range q {
			left += f.Count
		}
	}
	g.faults = map[string][]localaws.Fault{}
	return left
}

// Counts returns the calls served per action.
func (g *Gateway) Counts() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int, len(g.counts))
	for k, v := range g.counts {
		out[k] = v
	}
	return out
}

func (g *Gateway) take(service, action string) *localaws.Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.counts[action]++
	for _, key := range []string{action, service} {
		if q := g.faults[key]; len(q) > 0 {
			f := q[0]
			if q[0].Count--; q[0].Count == 0 {
				g.faults[key] = q[1:]
			}
			return &f
		}
	}
	return nil
}

var signedService = regexp.MustCompile(`Credential=[^/,\s]+/[0-9]{8}/[^/]+/([^/]+)/aws4_request`)

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var service, action string
	jsonSQS := strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if jsonSQS {
		service, action = "sqs", strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	} else {
		form, _ := url.ParseQuery(string(body))
		action = form.Get("Action")
		service = "sns"
		if m := signedService.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			service = m[1]
		} else if form.Get("QueueUrl") != "" || form.Get("QueueName") != "" {
			service = "sqs"
		}
	}
	if f := g.take(service, action); f != nil {
		switch f.Kind {
		case "slow":
			time.Sleep(f.Delay)
		case "unavailable":
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		default:
			faultAnswer(w, service, jsonSQS, f.Kind)
			return
		}
	}
	if jsonSQS {
		g.serveSQSJSON(w, action, body)
		return
	}
	resp, err := http.Post(g.goaws+r.URL.Path, r.Header.Get("Content-Type"), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// faultAnswer answers an injected throttle or server error as the service
// does: SNS's Throttled (HTTP 429) and InternalError (500) in Query XML,
// SQS's RequestThrottled (HTTP 403) and InternalError (500) in JSON with the
// Query-compatible error header.
func faultAnswer(w http.ResponseWriter, service string, jsonSQS bool, kind string) {
	code, status, fault := "InternalError", http.StatusInternalServerError, "Receiver"
	if kind == "throttle" {
		code, status, fault = "Throttled", http.StatusTooManyRequests, "Sender"
		if service == "sqs" {
			code, status = "RequestThrottled", http.StatusForbidden
		}
	}
	if jsonSQS {
		sqsJSONError(w, status, code, fault, "injected fault: "+kind)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>injected fault: %s</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`, fault, code, kind)
}

func sqsJSONError(w http.ResponseWriter, status int, code, fault, msg string) {
	typ := code
	if code == "AWS.SimpleQueueService.NonExistentQueue" {
		typ = "QueueDoesNotExist"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + typ, "message": msg})
}

// MessageAttribute is an SQS message attribute.
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue string `json:"BinaryValue,omitempty"` // base64
}

// QueueMessage is a message as ReceiveMessage returns it.
type QueueMessage struct {
	MessageID              string                      `json:"MessageId"`
	ReceiptHandle          string                      `json:"ReceiptHandle"`
	Body                   string                      `json:"Body"`
	MD5OfBody              string                      `json:"MD5OfBody"`
	MD5OfMessageAttributes string                      `json:"MD5OfMessageAttributes,omitempty"`
	Attributes             map[string]string           `json:"Attributes,omitempty"`
	MessageAttributes      map[string]MessageAttribute `json:"MessageAttributes,omitempty"`
}

// query posts a Query request to goaws and decodes its XML answer into out;
// an error answer is returned as *goawsError.
func (g *Gateway) query(form url.Values, out any) error {
	resp, err := http.PostForm(g.goaws, form)
	if err != nil {
		return fmt.Errorf("goaws %s: %w", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		xml.Unmarshal(b, &e)
		if e.Code == "" {
			e.Code, e.Message = "InternalError", strings.TrimSpace(string(b))
		}
		return &goawsError{status: resp.StatusCode, code: e.Code, msg: e.Message}
	}
	if out == nil {
		return nil
	}
	return xml.Unmarshal(b, out)
}

type goawsError struct {
	status    int
	code, msg string
}

func (e *goawsError) Error() string { return fmt.Sprintf("goaws: %s: %s", e.code, e.msg) }

// maxDelaySeconds is SQS's longest message delay (15 minutes).
const maxDelaySeconds = 900

type sendEntry struct {
	ID                string                      `json:"Id"`
	MessageBody       string                      `json:"MessageBody"`
	DelaySeconds      *int                        `json:"DelaySeconds"`
	MessageAttributes map[string]MessageAttribute `json:"MessageAttributes"`
}

type sendResult struct {
	ID                     string `json:"Id,omitempty"`
	MessageID              string `json:"MessageId"`
	MD5OfMessageBody       string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes string `json:"MD5OfMessageAttributes,omitempty"`
}

// send sends one message through goaws's SendMessage, which honours
// DelaySeconds (its SendMessageBatch drops delays and attributes).
func (g *Gateway) send(queueURL string, e sendEntry) (sendResult, error) {
	if e.DelaySeconds != nil && (*e.DelaySeconds < 0 || *e.DelaySeconds > maxDelaySeconds) {
		return sendResult{}, &goawsError{status: http.StatusBadRequest, code: "InvalidParameterValue",
			msg: fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and %d, if provided.", *e.DelaySeconds, maxDelaySeconds)}
	}
	if e.MessageBody == "" {
		return sendResult{}, &goawsError{status: http.StatusBadRequest, code: "MissingParameter", msg: "The request must contain the parameter MessageBody."}
	}
	form := url.Values{"Action": {"SendMessage"}, "QueueUrl": {queueURL}, "MessageBody": {e.MessageBody}}
	if e.DelaySeconds != nil {
		form.Set("DelaySeconds", strconv.Itoa(*e.DelaySeconds))
	}
	names := make([]string, 0, len(e.MessageAttributes))
	for n := range e.MessageAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		a, p := e.MessageAttributes[n], fmt.Sprintf("MessageAttribute.%d.", i+1)
		form.Set(p+"Name", n)
		form.Set(p+"Value.DataType", a.DataType)
		if a.BinaryValue != "" {
			form.Set(p+"Value.BinaryValue", a.BinaryValue)
		} else {
			form.Set(p+"Value.StringValue", a.StringValue)
		}
	}
	var out struct {
		MessageID string `xml:"SendMessageResult>MessageId"`
		MD5Body   string `xml:"SendMessageResult>MD5OfMessageBody"`
		MD5Attrs  string `xml:"SendMessageResult>MD5OfMessageAttributes"`
	}
	if err := g.query(form, &out); err != nil {
		return sendResult{}, err
	}
	g.mu.Lock()
	g.sent[out.MessageID] = time.Now()
	g.mu.Unlock()
	return sendResult{ID: e.ID, MessageID: out.MessageID, MD5OfMessageBody: out.MD5Body, MD5OfMessageAttributes: out.MD5Attrs}, nil
}

// Receive receives up to max messages (waiting up to wait for the first)
// straight from goaws, with the SentTimestamp and ApproximateReceiveCount
// SQS would give.
func (g *Gateway) Receive(queueURL string, max int, wait time.Duration) ([]QueueMessage, error) {
	form := url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {queueURL}, "MaxNumberOfMessages": {strconv.Itoa(max)},
		"WaitTimeSeconds": {strconv.Itoa(int(wait / time.Second))}}
	var out struct {
		Messages []struct {
			MessageID     string `xml:"MessageId"`
			ReceiptHandle string `xml:"ReceiptHandle"`
			MD5OfBody     string `xml:"MD5OfBody"`
			Body          string `xml:"Body"`
			MD5OfAttrs    string `xml:"MD5OfMessageAttributes"`
			Attributes    []struct {
				Name  string `xml:"Name"`
				Value string `xml:"Value"`
			} `xml:"Attribute"`
			MessageAttributes []struct {
				Name  string `xml:"Name"`
				Value struct {
					DataType    string `xml:"DataType"`
					StringValue string `xml:"StringValue"`
					BinaryValue string `xml:"BinaryValue"`
				} `xml:"Value"`
			} `xml:"MessageAttribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := g.query(form, &out); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var msgs []QueueMessage
	for _, m := range out.Messages {
		q := QueueMessage{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, MD5OfBody: m.MD5OfBody,
			MD5OfMessageAttributes: m.MD5OfAttrs, Attributes: map[string]string{}}
		for _, a := range m.Attributes {
			q.Attributes[a.Name] = a.Value
		}
		g.receives[m.MessageID]++
		q.Attributes["ApproximateReceiveCount"] = strconv.Itoa(g.receives[m.MessageID])
		if t, ok := g.sent[m.MessageID]; ok {
			q.Attributes["SentTimestamp"] = strconv.FormatInt(t.UnixMilli(), 10)
		}
		if len(m.MessageAttributes) > 0 {
			q.MessageAttributes = map[string]MessageAttribute{}
			for _, a := range m.MessageAttributes {
				q.MessageAttributes[a.Name] = MessageAttribute{DataType: a.Value.DataType, StringValue: a.Value.StringValue, BinaryValue: a.Value.BinaryValue}
			}
		}
		msgs = append(msgs, q)
	}
	return msgs, nil
}

// Delete deletes a received message from goaws.
func (g *Gateway) Delete(queueURL, receiptHandle string) error {
	return g.query(url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {queueURL}, "ReceiptHandle": {receiptHandle}}, nil)
}

// Depth is the number of messages in a queue: visible, delayed and in flight.
func (g *Gateway) Depth(queueURL string) (int, error) {
	var out struct {
		Attributes []struct {
			Name  string `xml:"Name"`
			Value string `xml:"Value"`
		} `xml:"GetQueueAttributesResult>Attribute"`
	}
	if err := g.query(url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {queueURL}, "AttributeName.1": {"ApproximateNumberOfMessages"}}, &out); err != nil {
		return 0, err
	}
	for _, a := range out.Attributes {
		if a.Name == "ApproximateNumberOfMessages" {
			return strconv.Atoi(a.Value)
		}
	}
	return 0, fmt.Errorf("goaws GetQueueAttributes: no ApproximateNumberOfMessages")
}

// serveSQSJSON answers the SQS actions a function calls, in JSON, through
// goaws's Query protocol.
func (g *Gateway) serveSQSJSON(w http.ResponseWriter, action string, body []byte) {
	var in struct {
		QueueURL            string      `json:"QueueUrl"`
		QueueName           string      `json:"QueueName"`
		ReceiptHandle       string      `json:"ReceiptHandle"`
		MaxNumberOfMessages *int        `json:"MaxNumberOfMessages"`
		WaitTimeSeconds     *int        `json:"WaitTimeSeconds"`
		VisibilityTimeout   *int        `json:"VisibilityTimeout"`
		Entries             []sendEntry `json:"Entries"`
		sendEntry
	}
	if err := json.Unmarshal(body, &in); err != nil {
		sqsJSONError(w, http.StatusBadRequest, "MalformedQueryString", "Sender", err.Error())
		return
	}
	var out any
	var err error
	switch action {
	case "SendMessage":
		out, err = g.send(in.QueueURL, in.sendEntry)
	case "SendMessageBatch":
		out, err = g.sendBatch(in.QueueURL, in.Entries)
	case "ReceiveMessage":
		max := 1
		if in.MaxNumberOfMessages != nil {
			max = *in.MaxNumberOfMessages
		}
		if max < 1 || max > 10 {
			err = &goawsError{status: http.StatusBadRequest, code: "InvalidParameterValue", msg: "MaxNumberOfMessages must be 1 to 10."}
			break
		}
		wait := 0
		if in.WaitTimeSeconds != nil {
			wait = *in.WaitTimeSeconds
		}
		var msgs []QueueMessage
		if msgs, err = g.Receive(in.QueueURL, max, time.Duration(wait)*time.Second); err == nil {
			out = map[string]any{"Messages": msgs}
		}
	case "DeleteMessage":
		out, err = struct{}{}, g.Delete(in.QueueURL, in.ReceiptHandle)
	case "ChangeMessageVisibility":
		form := url.Values{"Action": {"ChangeMessageVisibility"}, "QueueUrl": {in.QueueURL}, "ReceiptHandle": {in.ReceiptHandle}}
		if in.VisibilityTimeout != nil {
			form.Set("VisibilityTimeout", strconv.Itoa(*in.VisibilityTimeout))
		}
		out, err = struct{}{}, g.query(form, nil)
	case "GetQueueUrl":
		var r struct {
			URL string `xml:"GetQueueUrlResult>QueueUrl"`
		}
		if err = g.query(url.Values{"Action": {"GetQueueUrl"}, "QueueName": {in.QueueName}}, &r); err == nil {
			out = map[string]string{"QueueUrl": r.URL}
		}
	default:
		sqsJSONError(w, http.StatusBadRequest, "InvalidAction", "Sender", "localrun's SQS adapter does not translate "+action)
		return
	}
	if err != nil {
		if ge, ok := err.(*goawsError); ok {
			sqsJSONError(w, ge.status, ge.code, "Sender", ge.msg)
			return
		}
		sqsJSONError(w, http.StatusInternalServerError, "InternalError", "Receiver", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(out)
}

// sendBatch sends each entry on its own (SQS allows 10 entries with
// distinct IDs) and answers which succeeded.
func (g *Gateway) sendBatch(queueURL string, entries []sendEntry) (any, error) {
	if len(entries) == 0 {
		return nil, &goawsError{status: http.StatusBadRequest, code: "AWS.SimpleQueueService.EmptyBatchRequest", msg: "The batch request doesn't contain any entries."}
	}
	if len(entries) > 10 {
		return nil, &goawsError{status: http.StatusBadRequest, code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", msg: "Maximum number of entries per request are 10."}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.ID] {
			return nil, &goawsError{status: http.StatusBadRequest, code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", msg: "Two or more batch entries in the request have the same Id."}
		}
		seen[e.ID] = true
	}
	type failure struct {
		ID          string `json:"Id"`
		Code        string `json:"Code"`
		Message     string `json:"Message"`
		SenderFault bool   `json:"SenderFault"`
	}
	out := struct {
		Successful []sendResult `json:"Successful"`
		Failed     []failure    `json:"Failed"`
	}{Successful: []sendResult{}, Failed: []failure{}}
	for _, e := range entries {
		r, err := g.send(queueURL, e)
		if err != nil {
			code := "InternalError"
			if ge, ok := err.(*goawsError); ok {
				code = ge.code
			}
			out.Failed = append(out.Failed, failure{ID: e.ID, Code: code, Message: err.Error(), SenderFault: code != "InternalError"})
			continue
		}
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

// Close stops the gateway.
func (g *Gateway) Close() error { return g.srv.Close() }
