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
	"strings"
	"sync"
	"time"

	goaws "github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

// SNS is goaws's real SNS/SQS implementation, served in-process on a loopback
// listener (its own binary listens on 0.0.0.0): a topic and a queue subscribed
// to it, standing for the security team's subscription.
type SNS struct {
	URL      string
	TopicARN string
	QueueURL string
	srv      *http.Server
}

// goaws keeps its state in package globals: one instance per process.
var snsOnce sync.Mutex
var snsRunning bool

// StartSNS starts goaws on 127.0.0.1 with one topic and one subscribed queue.
func StartSNS(region, account string) (*SNS, error) {
	snsOnce.Lock()
	defer snsOnce.Unlock()
	if snsRunning {
		return nil, errors.New("goaws keeps global state: only one SNS per process")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	logrus.SetLevel(logrus.WarnLevel)
	goaws.CurrentEnvironment = goaws.Environment{Host: "127.0.0.1", Port: port, Region: region, AccountID: account,
		QueueAttributeDefaults: goaws.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144}}
	s := &SNS{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(l)
	snsRunning = true

	var topic struct {
		ARN string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := s.call(url.Values{"Action": {"CreateTopic"}, "Name": {"ebsguard-findings"}}, &topic); err != nil {
		s.Close()
		return nil, err
	}
	var queue struct {
		URL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := s.call(url.Values{"Action": {"CreateQueue"}, "QueueName": {"security-team"}}, &queue); err != nil {
		s.Close()
		return nil, err
	}
	s.TopicARN, s.QueueURL = topic.ARN, queue.URL
	queueARN := fmt.Sprintf("arn:aws:sqs:%s:%s:security-team", region, account)
	if err := s.call(url.Values{"Action": {"Subscribe"}, "TopicArn": {s.TopicARN}, "Protocol": {"sqs"}, "Endpoint": {queueARN}}, nil); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// call posts a Query request and decodes the XML answer.
func (s *SNS) call(form url.Values, out any) error {
	resp, err := http.PostForm(s.URL, form)
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

// Close stops the server. goaws's topics stay in its globals.
func (s *SNS) Close() error {
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
