package notify

import (
	"encoding/json"
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Fit encodes a verdict for a destination with a size limit (SNS's message,
// EventBridge's entry): a launch of hundreds of instances can exceed it, and
// a call that always fails would be retried to the dead-letter queue. The
// copy sent then keeps only resources with findings and, if need be, the
// first of them, and says so in reason; the function's log keeps the whole
// verdict. Every destination cuts by this one rule, so that the SNS message
// and the EventBridge event of a verdict carry the same findings.
func Fit(v verify.Verdict, limit int, dest string, encode func(verify.Verdict) ([]byte, error)) ([]byte, error) {
	b, err := encode(v)
	if err != nil || len(b) <= limit {
		return b, err
	}
	all, allFindings := len(v.Resources), len(v.Findings)
	var flagged []verify.Resource
	for _, r := range v.Resources {
		if len(r.Findings) > 0 {
			flagged = append(flagged, r)
		}
	}
	short := v
	for n := len(flagged); n > 0; n /= 2 {
		short.Resources = flagged[:n]
		short.Findings = v.Findings[:findingsOf(v.Findings, flagged[:n])]
		short.Reason = fmt.Sprintf("truncated for %s: %d of %d resources and %d of %d findings; the function's log has the whole verdict",
			dest, len(short.Resources), all, len(short.Findings), allFindings)
		if b, err = encode(short); err != nil || len(b) <= limit {
			return b, err
		}
	}
	return b, fmt.Errorf("verdict too large for %s even when cut: %d bytes", dest, len(b))
}

// protocols is the SNS message of MessageStructure json, a message per
// protocol: e-mail gets the text, https (the chat service's subscription)
// the chat notification, and SQS, Lambda and every other protocol
// ("default") the verdict JSON. SNS's 256 KB applies to the whole
// structure, so the cut applies to it whole.
func protocols(v verify.Verdict, verdictJSON string) map[string]string {
	chat, err := json.Marshal(ChatMessage(v))
	if err != nil {
		// Only strings and string slices: cannot fail; the verdict still
		// reaches every subscriber.
		chat = []byte(verdictJSON)
	}
	return map[string]string{
		"default": verdictJSON, "sqs": verdictJSON, "lambda": verdictJSON,
		"email": Text(v), "https": string(chat),
	}
}
