package cloudtrail

import (
	"encoding/json"
	"strings"
	"time"
)

// Record is the part of a CloudTrail record the guardrail reads. Request and
// response stay raw until the event name says what they hold.
type Record struct {
	EventID            String          `json:"eventID"`
	EventName          String          `json:"eventName"`
	EventSource        String          `json:"eventSource"`
	EventTime          String          `json:"eventTime"`
	AWSRegion          String          `json:"awsRegion"`
	RecipientAccountID String          `json:"recipientAccountId"`
	ErrorCode          String          `json:"errorCode"`
	ErrorMessage       String          `json:"errorMessage"`
	UserIdentity       UserIdentity    `json:"userIdentity"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type        String `json:"type"`
	ARN         String `json:"arn"`
	AccountID   String `json:"accountId"`
	PrincipalID String `json:"principalId"`
	InvokedBy   String `json:"invokedBy"`
}

// Account is the account that made the call: recipientAccountId, or, in old
// records that lack it, the caller's account.
func (r *Record) Account() string {
	if r.RecipientAccountID != "" {
		return string(r.RecipientAccountID)
	}
	return string(r.UserIdentity.AccountID)
}

// Principal names the caller: its ARN, else the service that called on its
// behalf, else its principal ID.
func (r *Record) Principal() string {
	for _, s := range []String{r.UserIdentity.ARN, r.UserIdentity.InvokedBy, r.UserIdentity.PrincipalID} {
		if s != "" {
			return string(s)
		}
	}
	return ""
}

// Request decodes requestParameters into v, leniently typed (String, Flag,
// Items); a missing or null field leaves v as it is.
func (r *Record) Request(v any) error { return unmarshalOptional(r.RequestParameters, v) }

// Response decodes responseElements into v; a missing or null field (a
// failed call, or a record that omits it) leaves v as it is.
func (r *Record) Response(v any) error { return unmarshalOptional(r.ResponseElements, v) }

// unmarshalOptional decodes a field that may be missing or null.
func unmarshalOptional(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// ParsedTime returns eventTime as a time, and false when it is no timestamp
// in any of the forms Time accepts.
func (r *Record) ParsedTime() (time.Time, bool) {
	s := strings.TrimSpace(string(r.EventTime))
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Time returns eventTime as RFC 3339 in UTC. A well-formed UTC time is
// returned as written; records in the wild omit the "Z" or use a space
// (read as UTC) or carry an offset: those are normalised to whole seconds.
// A time that does not parse is returned as written.
func (r *Record) Time() string {
	s := strings.TrimSpace(string(r.EventTime))
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil && strings.HasSuffix(s, "Z") {
		return s // already what CloudTrail writes: keep it exactly
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second).Format(time.RFC3339)
		}
	}
	return s
}
