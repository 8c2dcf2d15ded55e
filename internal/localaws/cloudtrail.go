package localaws

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
)

const cloudTrailTarget = "CloudTrail_20131101."

// serveCloudTrail answers CloudTrail's JSON 1.1 protocol: LookupEvents only,
// from the events the world lists for the caller's account and Region.
func (s *Server) serveCloudTrail(w http.ResponseWriter, r *http.Request, c caller, op string) {
	wld, f := s.take(op)
	if jsonFault(w, f, "ThrottlingException", "CloudTrailInternalException") { // the 5xx code is hypothetical: AWS documents none for LookupEvents
		return
	}
	if op != "LookupEvents" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localaws answers LookupEvents only")
		return
	}
	if !s.allowLookup(c) {
		jsonError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	var body struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        *float64
		EndTime          *float64
		MaxResults       *int32
		NextToken        *string
		EventCategory    string
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	in := &cloudtrail.LookupEventsInput{StartTime: epoch(body.StartTime), EndTime: epoch(body.EndTime), MaxResults: body.MaxResults,
		NextToken: body.NextToken, EventCategory: cttypes.EventCategory(body.EventCategory)}
	for _, a := range body.LookupAttributes {
		in.LookupAttributes = append(in.LookupAttributes, cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKey(a.AttributeKey), AttributeValue: aws.String(a.AttributeValue)})
	}
	out, err := wld.World().CloudTrail(c.account, c.region).LookupEvents(r.Context(), in)
	if err != nil {
		apiError(w, err)
		return
	}
	type event struct {
		EventID         string  `json:"EventId"`
		EventName       string  `json:"EventName"`
		EventSource     string  `json:"EventSource,omitempty"`
		EventTime       float64 `json:"EventTime"`
		Username        string  `json:"Username,omitempty"`
		AccessKeyID     string  `json:"AccessKeyId,omitempty"`
		ReadOnly        string  `json:"ReadOnly,omitempty"`
		CloudTrailEvent string  `json:"CloudTrailEvent"`
		Resources       []any   `json:"Resources"`
	}
	resp := struct {
		Events    []event `json:"Events"`
		NextToken string  `json:"NextToken,omitempty"`
	}{Events: []event{}, NextToken: aws.ToString(out.NextToken)}
	for _, e := range out.Events {
		resp.Events = append(resp.Events, event{EventID: aws.ToString(e.EventId), EventName: aws.ToString(e.EventName), EventSource: aws.ToString(e.EventSource),
			EventTime: float64(e.EventTime.UnixMilli()) / 1000, Username: aws.ToString(e.Username), AccessKeyID: aws.ToString(e.AccessKeyId),
			ReadOnly: aws.ToString(e.ReadOnly), CloudTrailEvent: aws.ToString(e.CloudTrailEvent), Resources: []any{}})
	}
	writeJSON(w, resp)
}

// allowLookup applies CloudTrail's rate limit per account and Region, when
// the server enforces it.
func (s *Server) allowLookup(c caller) bool {
	if s.LookupEventsPerSecond <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]string{c.account, c.region}
	now := time.Now()
	recent := s.lookups[key][:0]
	for _, t := range s.lookups[key] {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	if len(recent) >= s.LookupEventsPerSecond {
		s.lookups[key] = recent
		return false
	}
	s.lookups[key] = append(recent, now)
	return true
}

// epoch reads a JSON 1.1 timestamp (seconds since the epoch, possibly with a
// fraction).
func epoch(v *float64) *time.Time {
	if v == nil {
		return nil
	}
	sec, frac := math.Modf(*v)
	return aws.Time(time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

// jsonFault applies an injected fault to a JSON 1.1 service (KMS, CloudTrail,
// Organizations), with that service's throttling and internal error codes;
// it reports whether the call was answered.
func jsonFault(w http.ResponseWriter, f *Fault, throttle, internal string) bool {
	return fault(w, f, func(status int, code, msg string) {
		switch code {
		case "":
			code, status = throttle, http.StatusBadRequest
		case deniedCode:
			code, status = "AccessDeniedException", http.StatusBadRequest
		default:
			code = internal
		}
		jsonError(w, status, code, msg)
	})
}

// jsonError answers an error in the AWS JSON 1.1 protocol.
func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// apiError answers a world error with its code; every such error is the
// caller's (HTTP 400).
func apiError(w http.ResponseWriter, err error) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		jsonError(w, http.StatusBadRequest, ae.ErrorCode(), ae.ErrorMessage())
		return
	}
	jsonError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
}
