// Package notify turns a verdict into an SNS message: the verdict JSON for
// machines, a readable text for e-mail, a short subject, and message
// attributes for subscription filter policies and for dropping repeats.
//
// Two kinds of verdict are published: a violation (a finding for the
// security team) and a permanent error (an operational notice: a record that
// could not be checked, and why). Everything else is only logged.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// SNSAPI is the part of SNS the notifier calls.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// Notifier publishes verdicts to one topic.
type Notifier struct {
	sns      SNSAPI
	topicARN string
}

// New returns a notifier for a topic.
func New(client SNSAPI, topicARN string) *Notifier {
	return &Notifier{sns: client, topicARN: topicARN}
}

// Publish sends a violation or an error verdict and returns the SNS message
// ID. Whether an error verdict deserves a notice (a permanent one) is the
// caller's decision: a transient error is retried by Lambda instead.
func (n *Notifier) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	in, err := Message(n.topicARN, v)
	if err != nil {
		return "", err
	}
	out, err := n.sns.Publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("publish %s verdict of event %s to %s: %w", v.Status, printable.String(v.EventID), n.topicARN, err)
	}
	return aws.ToString(out.MessageId), nil
}

// The values of the status attribute, and the two documented subscription
// filter policies (FilterPolicyScope MessageAttributes). CloudWatch alarm
// notifications carry no message attributes, and SNS's "exists": false does
// not match a message without any: no attribute policy can select them, so
// OperationsOnlyPolicy receives the operational notices only (README, "The
// Lambda").
const (
	FindingsOnlyPolicy   = `{"status": ["violation"]}`
	OperationsOnlyPolicy = `{"status": ["error"]}`
)

// Limits of SNS (Publish API reference; "Amazon SNS message attributes").
const (
	// maxSubject: "less than 100 characters long".
	maxSubject = 99
	// maxAttributes: an SQS subscription with raw message delivery drops a
	// message with more than 10 attributes.
	maxAttributes = 10
	// maxAttrValue bounds a value taken from the record: attributes count
	// towards the message size, and a filter policy needs no more.
	maxAttrValue = 256
)

// Message builds the PublishInput for a violation or an error verdict.
// Subscribers other than e-mail receive the verdict JSON ("default"); e-mail
// receives the text.
func Message(topicARN string, v verify.Verdict) (*sns.PublishInput, error) {
	if v.Status != verify.StatusViolation && v.Status != verify.StatusError {
		return nil, fmt.Errorf("notify: a %s verdict is not published (event %s)", v.Status, printable.String(v.EventID))
	}
	attrs, err := attributes(v)
	if err != nil {
		return nil, err
	}
	structured, err := fit(v)
	if err != nil {
		return nil, fmt.Errorf("encode message of event %s: %w", printable.String(v.EventID), err)
	}
	return &sns.PublishInput{
		TopicArn:          aws.String(topicARN),
		Subject:           aws.String(Subject(v)),
		Message:           aws.String(string(structured)),
		MessageStructure:  aws.String("json"),
		MessageAttributes: attrs,
	}, nil
}

// attributes are the message attributes of a verdict, computed from the whole
// verdict before any cut.
func attributes(v verify.Verdict) (map[string]snstypes.MessageAttributeValue, error) {
	attrs := map[string]snstypes.MessageAttributeValue{}
	if codes := v.Codes(); len(codes) > 0 {
		b, err := json.Marshal(codes)
		if err != nil {
			return nil, err
		}
		attrs["findings"] = snstypes.MessageAttributeValue{DataType: aws.String("String.Array"), StringValue: aws.String(string(b))}
	}
	kind := ""
	if v.Status == verify.StatusError {
		kind = classify(v).kind
	}
	for name, val := range map[string]string{
		"status": v.Status, "severity": v.Severity(), "error": kind,
		"account": v.Account, "region": v.Region, "eventName": v.EventName,
		"eventID": v.EventID, "dedupeKey": DedupeKey(v),
	} {
		// Record fields may carry anything: SNS rejects empty values and
		// characters outside its allowed set, and a Publish that always
		// fails ends in the dead-letter queue.
		if val = attrValue(val); val != "" {
			attrs[name] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(val)}
		}
	}
	if len(attrs) > maxAttributes {
		return nil, fmt.Errorf("notify: %d message attributes; raw SQS delivery allows %d", len(attrs), maxAttributes)
	}
	return attrs, nil
}

func attrValue(s string) string {
	return cut(printable.String(s), maxAttrValue)
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// maxMessage keeps a message under SNS's 256 KiB limit, with room for the
// subject and attributes.
const maxMessage = 240 << 10

// fit encodes the structured message within SNS's limit (Fit). Findings
// are split by Parts before they get here, so that every finding is
// published; a notice is cut.
func fit(v verify.Verdict) ([]byte, error) {
	return Fit(v, maxMessage, "SNS", encodeMessage)
}

// findingsOf counts the leading findings that belong to the given resources.
func findingsOf(findings []verify.Finding, res []verify.Resource) int {
	keep := map[string]bool{}
	for _, r := range res {
		keep[r.Resource] = true
	}
	n := 0
	for n < len(findings) && keep[findings[n].Resource] {
		n++
	}
	return n
}
