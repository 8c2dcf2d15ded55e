package verify

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Statuses of a verdict (formats.md §4).
const (
	StatusCompliant = "compliant"
	StatusViolation = "violation"
	StatusPending   = "pending"
	StatusSkipped   = "skipped"
	StatusError     = "error"
)

// Verdict is the guardrail's answer for one CloudTrail record. Its JSON form
// is a contract: users' subscriptions and the acceptance tests read it.
type Verdict struct {
	EventID   string `json:"eventID"`
	EventName string `json:"eventName"`
	EventTime string `json:"eventTime"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	Principal string `json:"principal"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	// ErrorClass says, for an error verdict, why in a word code routes on
	// (the SNS "error" attribute, metrics); Reason says it for people.
	ErrorClass Class      `json:"errorClass,omitempty"`
	Resources  []Resource `json:"resources"`
	Findings   []Finding  `json:"findings"`
	// Warnings are things a reader should know that are not findings: an
	// allowed key of the policy that does not resolve in the account, the
	// launch template version resolved when the record names none.
	Warnings []string `json:"warnings,omitempty"`

	// ErrorCodes are the AWS error codes of the lookups that failed, for metrics.
	ErrorCodes []string `json:"-"`
	// Retryable marks an error verdict caused by a transient lookup failure:
	// the Lambda returns an error so that the invocation is retried.
	Retryable bool `json:"-"`
	// Calls counts the AWS API calls the evaluation made, by API.
	Calls map[string]int `json:"-"`
	// RetrySoon marks a kind whose results show within seconds (a launch's
	// volumes): a pending verdict is worth one more look in the same
	// invocation before a re-check is queued.
	RetrySoon bool `json:"-"`
	// Settings are EBD and DEF of the call's Region as this look read them
	// (or as a re-check message carried them), for the next re-check.
	Settings *CarriedSettings `json:"-"`
}

// Resource is one resulting volume or snapshot: one per volume of each
// launched instance, per snapshot of a copied AMI, or the one volume or
// snapshot a CreateVolume or CopySnapshot makes (its own parent).
type Resource struct {
	Resource       string       `json:"resource"`
	Parent         string       `json:"parent"`
	Device         string       `json:"device"`
	Source         string       `json:"source"`
	Rule           string       `json:"rule"`
	Expected       *Expected    `json:"expected"`
	Actual         *rules.State `json:"actual"`
	IntendedKeyARN string       `json:"intendedKeyArn"`
	Findings       []string     `json:"findings"`
	// Error says why the resource could not be judged; it then has no findings.
	Error string `json:"error,omitempty"`
	// Note is what the reader must know about the judgement, e.g. "intended
	// key hidden by CloudTrail" (formats.md §4).
	Note string `json:"note,omitempty"`
	// SourceAssociatedKeyARNs are the source snapshot's associated KMS keys
	// (spec/rules.md, "Associated KMS keys").
	SourceAssociatedKeyARNs []string `json:"sourceAssociatedKeyArns,omitempty"`
	// ErrorClass is the class of Error.
	ErrorClass Class `json:"errorClass,omitempty"`
}

// Expected is the predicted state and the alternatives accepted without
// KEY_MISMATCH.
type Expected struct {
	Encrypted    bool          `json:"encrypted"`
	KMSKeyARN    string        `json:"kmsKeyArn"`
	Alternatives []rules.State `json:"alternatives,omitempty"`
	// EncryptedUnknown writes encrypted as null: the rows accepted while EBD
	// at the event's time is unknown disagree on it (settings_at.go).
	EncryptedUnknown bool `json:"-"`
}

// Finding is one finding with its severity, a message a security engineer
// can act on, and the fix apart.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Resource string `json:"resource"`
	// Message says what happened and what was intended, for people.
	Message string `json:"message"`
	// Fix is what to do about it, for people: a command where one does it.
	Fix string `json:"fix,omitempty"`
}

// Text is the finding's message followed by its fix, as one paragraph.
func (f Finding) Text() string {
	if f.Fix == "" {
		return f.Message
	}
	return f.Message + " Fix: " + f.Fix + "."
}

// JSON encodes the verdict as replay prints it and the Lambda publishes it:
// one line, without HTML escaping (messages quote commands with < and >).
func (v *Verdict) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Severity returns the highest severity among the verdict's findings, or "".
func (v *Verdict) Severity() string {
	sev := ""
	for _, f := range v.Findings {
		if f.Severity == rules.High {
			return rules.High
		}
		sev = f.Severity
	}
	return sev
}

// Codes returns the distinct finding codes of the verdict, in first-seen order.
func (v *Verdict) Codes() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range v.Findings {
		if !seen[f.Code] {
			seen[f.Code] = true
			out = append(out, f.Code)
		}
	}
	return out
}

// settle sets the status from the resources once every resource is judged
// (formats.md §4): any finding makes a violation, even when another resource
// could not be judged or is not visible yet; otherwise a resource that could
// not be judged makes an error; otherwise one not visible yet makes it
// pending.
func (v *Verdict) settle() {
	var errs []string
	var class Class
	pending := false
	for _, r := range v.Resources {
		switch {
		case r.Error != "":
			if len(errs) == 0 {
				class = r.ErrorClass
			}
			errs = append(errs, r.Error)
		case r.Actual == nil:
			pending = true
		}
	}
	switch {
	case len(v.Findings) > 0:
		v.Status = StatusViolation
	case len(errs) > 0:
		v.Status = StatusError
		v.Reason, v.ErrorClass = errs[0], class
		if len(errs) > 1 {
			v.Reason = fmt.Sprintf("%d resources could not be judged; the first: %s", len(errs), errs[0])
		}
	case pending:
		v.Status = StatusPending
	default:
		v.Status = StatusCompliant
	}
}

// Pending lists the resources not visible yet (and not in error): what a
// re-check looks for.
func (v *Verdict) Pending() []Resource {
	var out []Resource
	for _, r := range v.Resources {
		if r.Actual == nil && r.Error == "" {
			out = append(out, r)
		}
	}
	return out
}

// noteError records a lookup failure: whether a retry may fix it, and its
// AWS error code for the metrics.
func (v *Verdict) noteError(err error) {
	if IsTransient(err) {
		v.Retryable = true
	}
	v.ErrorCodes = append(v.ErrorCodes, ErrorCode(err))
}
