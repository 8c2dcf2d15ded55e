package world

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// CloudTrailMaxResults is LookupEvents' largest (and default) page: "Possible
// values are 1 through 50. The default is 50." (CloudTrail API Reference,
// LookupEvents).
const CloudTrailMaxResults = 50

// event is a CloudTrail record of a world, with what LookupEvents filters on.
type event struct {
	raw                                 json.RawMessage
	time                                time.Time
	id, name, source, user, accessKeyID string
	readOnly                            *bool
}

// parseEvent reads a record; it needs an eventName and an eventTime.
func parseEvent(raw json.RawMessage) (event, error) {
	var r struct {
		EventID      string `json:"eventID"`
		EventName    string `json:"eventName"`
		EventSource  string `json:"eventSource"`
		EventTime    string `json:"eventTime"`
		ReadOnly     any    `json:"readOnly"`
		UserIdentity struct {
			Type           string `json:"type"`
			UserName       string `json:"userName"`
			ARN            string `json:"arn"`
			AccessKeyID    string `json:"accessKeyId"`
			SessionContext struct {
				SessionIssuer struct {
					UserName string `json:"userName"`
				} `json:"sessionIssuer"`
			} `json:"sessionContext"`
		} `json:"userIdentity"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return event{}, fmt.Errorf("not a CloudTrail record: %w", err)
	}
	if r.EventName == "" {
		return event{}, errors.New("a CloudTrail record needs an eventName")
	}
	t, err := parseTime(r.EventTime)
	if err != nil {
		return event{}, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return event{}, err
	}
	e := event{raw: compact.Bytes(), time: t, id: r.EventID, name: r.EventName, source: r.EventSource, accessKeyID: r.UserIdentity.AccessKeyID}
	switch v := r.ReadOnly.(type) {
	case bool:
		e.readOnly = &v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			e.readOnly = &b
		}
	}
	// Username as the console shows it: the IAM user's name, the session name
	// of an assumed role, root for the root user.
	switch id := r.UserIdentity; {
	case id.UserName != "":
		e.user = id.UserName
	case id.Type == "AssumedRole" && strings.Contains(id.ARN, "/"):
		e.user = id.ARN[strings.LastIndex(id.ARN, "/")+1:]
	case id.Type == "Root":
		e.user = "root"
	default:
		e.user = id.SessionContext.SessionIssuer.UserName
	}
	return e, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("eventTime %q is not a timestamp", s)
}

// CloudTrail answers LookupEvents from the events of one account and Region.
type CloudTrail struct {
	world           *World
	account, region string
}

// CloudTrail returns the CloudTrail view of an account and Region.
func (w *World) CloudTrail(account, region string) *CloudTrail {
	return &CloudTrail{world: w, account: account, region: region}
}

func ctError(code, format string, args ...any) error {
	msg := aws.String(fmt.Sprintf(format, args...))
	switch code {
	case "InvalidLookupAttributesException":
		return &cttypes.InvalidLookupAttributesException{Message: msg}
	case "InvalidMaxResultsException":
		return &cttypes.InvalidMaxResultsException{Message: msg}
	case "InvalidNextTokenException":
		return &cttypes.InvalidNextTokenException{Message: msg}
	case "InvalidTimeRangeException":
		return &cttypes.InvalidTimeRangeException{Message: msg}
	default:
		return &cttypes.UnsupportedOperationException{Message: msg}
	}
}

// LookupEvents answers as CloudTrail does: newest first, at most one lookup
// attribute, StartTime and EndTime inclusive, MaxResults 1 to 50 (default
// 50), and a NextToken that is valid only with the parameters it came from.
// Only management events are listed: EventCategory insight finds nothing.
// Unlike CloudTrail, every listed event is kept, however old (a world is
// fixed in time). ResourceType and ResourceName lookups are not answered.
func (c *CloudTrail) LookupEvents(_ context.Context, in *cloudtrail.LookupEventsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	if in == nil {
		in = &cloudtrail.LookupEventsInput{}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, ctError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
	}
	var match func(event) bool
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		v := aws.ToString(a.AttributeValue)
		if v == "" {
			return nil, ctError("InvalidLookupAttributesException", "The lookup attribute value cannot be empty.")
		}
		switch a.AttributeKey {
		case cttypes.LookupAttributeKeyEventId:
			match = func(e event) bool { return e.id == v }
		case cttypes.LookupAttributeKeyEventName:
			match = func(e event) bool { return e.name == v }
		case cttypes.LookupAttributeKeyEventSource:
			match = func(e event) bool { return e.source == v }
		case cttypes.LookupAttributeKeyUsername:
			match = func(e event) bool { return e.user == v }
		case cttypes.LookupAttributeKeyAccessKeyId:
			match = func(e event) bool { return e.accessKeyID == v }
		case cttypes.LookupAttributeKeyReadOnly:
			match = func(e event) bool { return e.readOnly != nil && strconv.FormatBool(*e.readOnly) == v }
		case cttypes.LookupAttributeKeyResourceType, cttypes.LookupAttributeKeyResourceName:
			return nil, ctError("UnsupportedOperationException", "the world does not answer %s lookups", a.AttributeKey)
		default:
			return nil, ctError("InvalidLookupAttributesException", "Unknown lookup attribute key %q.", a.AttributeKey)
		}
	}
	limit := int32(CloudTrailMaxResults)
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > CloudTrailMaxResults {
			return nil, ctError("InvalidMaxResultsException", "MaxResults must be between 1 and %d.", CloudTrailMaxResults)
		}
		limit = *in.MaxResults
	}
	if in.StartTime != nil && in.EndTime != nil && in.StartTime.After(*in.EndTime) {
		return nil, ctError("InvalidTimeRangeException", "The start time must not be after the end time.")
	}
	params := lookupParams(in)
	offset := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		var ok bool
		if offset, ok = readToken(tok, params); !ok {
			return nil, ctError("InvalidNextTokenException", "Invalid NextToken, or one used with other parameters.")
		}
	}
	var events []event
	if in.EventCategory == "" {
		for _, raw := range c.world.view(c.account, c.region).Events {
			e, err := parseEvent(raw)
			if err != nil {
				return nil, err // Parse checked every event
			}
			if in.StartTime != nil && e.time.Before(*in.StartTime) || in.EndTime != nil && e.time.After(*in.EndTime) {
				continue
			}
			if match == nil || match(e) {
				events = append(events, e)
			}
		}
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].time.Equal(events[j].time) {
			return events[i].time.After(events[j].time)
		}
		return events[i].id > events[j].id
	})
	out := &cloudtrail.LookupEventsOutput{}
	if offset > len(events) {
		offset = len(events)
	}
	end := min(offset+int(limit), len(events))
	for _, e := range events[offset:end] {
		ev := cttypes.Event{CloudTrailEvent: aws.String(string(e.raw)), EventId: aws.String(e.id), EventName: aws.String(e.name),
			EventSource: aws.String(e.source), EventTime: aws.Time(e.time)}
		if e.user != "" {
			ev.Username = aws.String(e.user)
		}
		if e.accessKeyID != "" {
			ev.AccessKeyId = aws.String(e.accessKeyID)
		}
		if e.readOnly != nil {
			ev.ReadOnly = aws.String(strconv.FormatBool(*e.readOnly))
		}
		out.Events = append(out.Events, ev)
	}
	if end < len(events) {
		out.NextToken = aws.String(makeToken(end, params))
	}
	return out, nil
}

// lookupParams fingerprints the parameters a NextToken must be used with.
func lookupParams(in *cloudtrail.LookupEventsInput) uint64 {
	h := fnv.New64a()
	for _, a := range in.LookupAttributes {
		fmt.Fprintf(h, "%s=%s;", a.AttributeKey, aws.ToString(a.AttributeValue))
	}
	for _, t := range []*time.Time{in.StartTime, in.EndTime} {
		if t != nil {
			fmt.Fprintf(h, "%d;", t.UnixNano())
		} else {
			fmt.Fprint(h, "-;")
		}
	}
	fmt.Fprint(h, string(in.EventCategory))
	return h.Sum64()
}

func makeToken(offset int, params uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%x", offset, params))
}

func readToken(tok string, params uint64) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	off, sum, ok := strings.Cut(string(b), ":")
	n, err := strconv.Atoi(off)
	if !ok || err != nil || n < 0 || sum != fmt.Sprintf("%x", params) {
		return 0, false
	}
	return n, true
}
