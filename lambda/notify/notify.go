// Package notify turns a violation verdict into an SNS message: the verdict
// JSON for machines, a readable text for e-mail, a short subject, and message
// attributes for subscription filter policies.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// SNSAPI is the part of SNS the notifier calls.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// Notifier publishes violations to one topic.
type Notifier struct {
	sns      SNSAPI
	topicARN string
}

// New returns a notifier for a topic.
func New(client SNSAPI, topicARN string) *Notifier {
	return &Notifier{sns: client, topicARN: topicARN}
}

// Publish sends the verdict and returns the SNS message ID.
func (n *Notifier) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	in, err := Message(n.topicARN, v)
	if err != nil {
		return "", err
	}
	out, err := n.sns.Publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("publish %s verdict of event %s to %s: %w", v.Status, v.EventID, n.topicARN, err)
	}
	return aws.ToString(out.MessageId), nil
}

// maxSubject is SNS's limit on e-mail subjects.
const maxSubject = 100

// Message builds the PublishInput for a verdict. Subscribers other than
// e-mail receive the verdict JSON ("default"); e-mail receives the text.
func Message(topicARN string, v verify.Verdict) (*sns.PublishInput, error) {
	codes, err := json.Marshal(v.Codes()) // of the whole verdict, before any cut
	if err != nil {
		return nil, err
	}
	attrs := map[string]snstypes.MessageAttributeValue{
		"findings": {DataType: aws.String("String.Array"), StringValue: aws.String(string(codes))},
	}
	for name, val := range map[string]string{
		"status": v.Status, "severity": v.Severity(), "account": v.Account, "region": v.Region, "eventName": v.EventName,
	} {
		if val != "" { // SNS rejects empty attribute values
			attrs[name] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(val)}
		}
	}
	structured, err := fit(v)
	if err != nil {
		return nil, fmt.Errorf("encode message of event %s: %w", v.EventID, err)
	}
	return &sns.PublishInput{
		TopicArn:          aws.String(topicARN),
		Subject:           aws.String(Subject(v)),
		Message:           aws.String(string(structured)),
		MessageStructure:  aws.String("json"),
		MessageAttributes: attrs,
	}, nil
}

// maxMessage keeps a message under SNS's 256 KiB limit, with room for the
// subject and attributes.
const maxMessage = 240 << 10

// fit encodes the structured message. A launch of hundreds of instances can
// exceed SNS's limit, and a Publish that always fails would be retried to the
// dead-letter queue: the published copy then keeps only resources with
// findings and, if need be, the first of them, and says so in reason. The
// function's log keeps the whole verdict.
func fit(v verify.Verdict) ([]byte, error) {
	encode := func(v verify.Verdict) ([]byte, error) {
		body, err := v.JSON()
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"default": string(body), "email": Text(v)})
	}
	b, err := encode(v)
	if err != nil || len(b) <= maxMessage {
		return b, err
	}
	all, allFindings := len(v.Resources), len(v.Findings)
	var flagged []verify.Resource
	for _, r := range v.Resources {
		if len(r.Findings) > 0 {
			flagged = append(flagged, r)
		}
	}
	cut := v
	for n := len(flagged); n > 0; n /= 2 {
		cut.Resources = flagged[:n]
		cut.Findings = v.Findings[:findingsOf(v.Findings, flagged[:n])]
		cut.Reason = fmt.Sprintf("truncated for SNS: %d of %d resources and %d of %d findings; the function's log has the whole verdict",
			len(cut.Resources), all, len(cut.Findings), allFindings)
		if b, err = encode(cut); err != nil || len(b) <= maxMessage {
			return b, err
		}
	}
	return b, fmt.Errorf("verdict too large for SNS even when cut: %d bytes", len(b))
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

// Subject is one short line: the worst finding, the call, where.
func Subject(v verify.Verdict) string {
	what := v.Status
	if len(v.Findings) > 0 {
		what = v.Findings[0].Code
		if n := len(v.Findings); n > 1 {
			what = fmt.Sprintf("%s +%d", what, n-1)
		}
	}
	s := fmt.Sprintf("ebsguard %s: %s in %s %s", strings.ToUpper(v.Severity()), what, v.Account, v.Region)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxSubject {
		s = s[:maxSubject]
	}
	return s
}

// Text is the e-mail body: what happened, per finding, with the fix.
func Text(v verify.Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ebsguard found %d problem(s) with the EBS encryption of a %s call.\n\n", len(v.Findings), v.EventName)
	fmt.Fprintf(&b, "Account:   %s\nRegion:    %s\nPrincipal: %s\nTime:      %s\nEvent ID:  %s\n", v.Account, v.Region, v.Principal, v.EventTime, v.EventID)
	for i, f := range v.Findings {
		fmt.Fprintf(&b, "\n%d. %s (%s) on %s\n", i+1, f.Code, f.Severity, f.Resource)
		for _, r := range v.Resources {
			if r.Resource == f.Resource && r.Actual != nil {
				fmt.Fprintf(&b, "   rule:     %s\n   intended: %s\n   actual:   %s\n", r.Rule, orNone(r.IntendedKeyARN), describe(r.Actual.Encrypted, r.Actual.KMSKeyARN))
				break
			}
		}
		fmt.Fprintf(&b, "   %s\n", f.Message)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(no particular key)"
	}
	return s
}

func describe(encrypted bool, arn string) string {
	if !encrypted {
		return "unencrypted"
	}
	return arn
}
