package notify

import (
	"encoding/json"
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Fit encodes a verdict for a destination with a size limit (SNS's message,
// EventBridge's entry): a launch of hundreds of instances can exceed it, and
// a call that always fails would be retried to the dead-letter queue. The
// copy sent then keeps only resources with findings (for a notice, with an
// error) and, if need be, the first of them, and says so in reason (a
// notice, in a warning); the function's log keeps the whole
// verdict. Every destination cuts by this one rule, so both keep the first
// resources with findings; the SNS message, which also carries the text and
// the chat notification, may keep fewer than the EventBridge event.
func Fit(v verify.Verdict, limit int, dest string, encode func(verify.Verdict) ([]byte, error)) ([]byte, error) {
	b, err := encode(v)
	if err != nil || len(b) <= limit {
		return b, err
	}
	all, allFindings := len(v.Resources), len(v.Findings)
	// Kept first: the resources with findings, and those an error is about
	// (a notice of a launch of hundreds of instances not visible yet).
	var kept []verify.Resource
	least := 0
	for _, r := range v.Resources {
		if len(r.Findings) > 0 || r.Error != "" {
			kept = append(kept, r)
		}
		if len(r.Findings) > 0 {
			least = 1 // a violation keeps at least one finding
		}
	}
	if len(kept) == 0 {
		// A notice about results not visible yet: name the first of them.
		kept = v.Resources
	}
	short := v
	for n := len(kept); n >= least; n /= 2 {
		short.Resources = kept[:n]
		short.Findings = v.Findings[:findingsOf(v.Findings, kept[:n])]
		note := fmt.Sprintf("truncated for %s: %d of %d resources and %d of %d findings; the function's log has the whole verdict",
			dest, len(short.Resources), all, len(short.Findings), allFindings)
		if v.Status == verify.StatusError {
			// A notice's reason is why the record could not be checked,
			// and what classifies it: the cut is said in a warning.
			short.Warnings = append(v.Warnings[:len(v.Warnings):len(v.Warnings)], note)
		} else {
			short.Reason = note
		}
		if b, err = encode(short); err != nil || len(b) <= limit {
			return b, err
		}
		if n == 0 {
			break
		}
	}
	return b, fmt.Errorf("verdict too large for %s even when cut: %d bytes", dest, len(b))
}

// protocols is the SNS message of MessageStructure json, a message per
// protocol: e-mail gets the text, https (the chat service's subscription)
// the chat notification, and SQS, Lambda and every other protocol
// ("default") the verdict JSON. SNS's 256 KB applies to the whole
// structure, so the cut applies to it whole; SQS and Lambda have no member
// of their own, which would carry the verdict twice more and cut it at a
// third of the size.
func protocols(v verify.Verdict, verdictJSON string) map[string]string {
	chat, err := json.Marshal(ChatMessage(v))
	if err != nil {
		// Only strings and string slices: cannot fail; the verdict still
		// reaches every subscriber.
		chat = []byte(verdictJSON)
	}
	return map[string]string{
		"default": verdictJSON, "email": Text(v), "https": string(chat),
	}
}
