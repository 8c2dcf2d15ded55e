package localrun

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	goaws "github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

// SNS is goaws's real SNS/SQS implementation, served in-process on a loopback
// listener (its own binary listens on 0.0.0.0): a topic and a queue subscribed
// to it, standing for the security team's subscription, and the re-check
// queue. The function reaches both services through the Gateway in front of
// goaws (JSON SQS translated, faults injected); localrun's own calls go to
// goaws directly.
type SNS struct {
	// URL is the endpoint the function uses for SNS and SQS: the gateway.
	URL      string
	TopicARN string
	// QueueURL is the security team's queue (goaws's own URL).
	QueueURL string
	// RecheckQueueURL is the re-check queue, as the function names it.
	RecheckQueueURL string
	// RecheckQueueARN is its ARN, the event source mapping's eventSourceARN.
	RecheckQueueARN string
	// Gateway injects faults into the function's SNS and SQS calls.
	Gateway *Gateway

	direct string // goaws's own URL
	srv    *http.Server
	quit   chan struct{}
}

// RecheckQueue is the name of the re-check queue localrun creates.
const RecheckQueue = "ebsguard-recheck"

// RecheckVisibilityTimeout is the re-check queue's visibility timeout: how
// long a message the function failed stays hidden before it comes back. Far
// below a deployed queue's, so that a local run sees failed re-checks return
// within seconds, yet longer than the function takes on a re-check (a launch
// is looked at again in the invocation for a few seconds first): a message
// must not come back while it is being processed.
const RecheckVisibilityTimeout = 10 * time.Second

// goaws keeps its state in package globals: one instance at a time per
// process, and its topic, queues and subscription outlive a Close, so a later
// start reuses them (emptied) rather than subscribing twice.
var (
	snsOnce       sync.Mutex
	snsRunning    bool
	snsSubscribed bool
)

// StartSNS starts goaws on 127.0.0.1 with one topic and one subscribed queue.
func StartSNS(region, account string) (*SNS, error) {
	snsOnce.Lock()
	defer snsOnce.Unlock()
	if snsRunning {
		return nil, errors.New("goaws keeps global state: only one SNS at a time per process")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	logrus.SetLevel(logrus.WarnLevel)
	goaws.CurrentEnvironment = goaws.Environment{Host: "127.0.0.1", Port: port, Region: region, AccountID: account,
		QueueAttributeDefaults: goaws.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144}}
	s := &SNS{direct: "http://" + l.Addr().String(), srv: &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}, quit: make(chan struct{})}
	go s.srv.Serve(l)
	// goaws makes in-flight messages visible again only from this loop.
	go gosqs.PeriodicTasks(100*time.Millisecond, s.quit)
	snsRunning = true
	if s.Gateway, err = startGateway(s.direct); err != nil {
		s.abort()
		return nil, err
	}
	s.URL = s.Gateway.url

	var topic struct {
		ARN string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := s.call(url.Values{"Action": {"CreateTopic"}, "Name": {"ebsguard-findings"}}, &topic); err != nil {
		s.abort()
		return nil, err
	}
	var queue struct {
		URL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := s.call(url.Values{"Action": {"CreateQueue"}, "QueueName": {"security-team"}}, &queue); err != nil {
		s.abort()
		return nil, err
	}
	s.TopicARN, s.QueueURL = topic.ARN, queue.URL
	queueARN := fmt.Sprintf("arn:aws:sqs:%s:%s:security-team", region, account)
	if !snsSubscribed {
		if err := s.call(url.Values{"Action": {"Subscribe"}, "TopicArn": {s.TopicARN}, "Protocol": {"sqs"}, "Endpoint": {queueARN}}, nil); err != nil {
			s.abort()
			return nil, err
		}
		snsSubscribed = true
	}
	if err := s.call(url.Values{"Action": {"CreateQueue"}, "QueueName": {RecheckQueue},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {strconv.Itoa(int(RecheckVisibilityTimeout / time.Second))}}, &queue); err != nil {
		s.abort()
		return nil, err
	}
	// The function names the queue on the gateway's host; goaws reads only
	// the queue name from a URL.
	s.RecheckQueueURL = s.URL + "/" + account + "/" + RecheckQueue
	s.RecheckQueueARN = fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, RecheckQueue)
	for _, q := range []string{s.QueueURL, s.RecheckQueueURL} {
		if err := s.call(url.Values{"Action": {"PurgeQueue"}, "QueueUrl": {q}}, nil); err != nil {
			s.abort()
			return nil, err
		}
	}
	return s, nil
}

// call posts a Query request and decodes the XML answer.
func (s *SNS) call(form url.Values, out any) error {
	resp, err := http.PostForm(s.direct, form)
	if err != nil {
		return fmt.Errorf("goaws %s: %w", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("goaws %s: HTTP %d: %s", form.Get("Action"), resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	return xml.Unmarshal(body, out)
}

// Close stops the gateway and goaws. goaws's topics and queues stay in its
// globals.
func (s *SNS) Close() error {
	err := s.shutdown()
	snsOnce.Lock()
	snsRunning = false
	snsOnce.Unlock()
	return err
}

// abort undoes a failed start (snsOnce held).
func (s *SNS) abort() {
	s.shutdown()
	snsRunning = false
}

func (s *SNS) shutdown() error {
	if s.Gateway != nil {
		s.Gateway.Close()
	}
	close(s.quit)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Notification is one SNS notification as an SQS subscriber receives it.
type Notification struct {
	MessageID         string
	Subject           string
	Message           string // the "default" body: the verdict JSON
	MessageAttributes map[string]string
}

// Receive drains the queue: ReceiveMessage with a plain Query request (goaws
// speaks only the SQS Query protocol), then DeleteMessage for each.
func (s *SNS) Receive() ([]Notification, error) {
	var out []Notification
	for {
		var resp struct {
			Messages []struct {
				Body          string `xml:"Body"`
				ReceiptHandle string `xml:"ReceiptHandle"`
			} `xml:"ReceiveMessageResult>Message"`
		}
		if err := s.call(url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {s.QueueURL}, "MaxNumberOfMessages": {"10"}}, &resp); err != nil {
			return out, err
		}
		if len(resp.Messages) == 0 {
			return out, nil
		}
		for _, m := range resp.Messages {
			var env struct {
				MessageID         string `json:"MessageId"`
				Subject           string
				Message           string
				MessageAttributes map[string]struct{ Type, Value string }
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(m.Body)), &env); err != nil {
				return out, fmt.Errorf("queue message is not an SNS notification: %w", err)
			}
			n := Notification{MessageID: env.MessageID, Subject: env.Subject, Message: env.Message, MessageAttributes: map[string]string{}}
			for k, v := range env.MessageAttributes {
				n.MessageAttributes[k] = v.Value
			}
			out = append(out, n)
			if err := s.call(url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {s.QueueURL}, "ReceiptHandle": {m.ReceiptHandle}}, nil); err != nil {
				return out, err
			}
		}
	}
}
