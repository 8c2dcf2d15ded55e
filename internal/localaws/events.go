package localaws

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"fmt"
)

// eventsTarget prefixes EventBridge's JSON 1.1 operations.
const eventsTarget = "AWSEvents."

// EventRule is an EventBridge rule of one account and Region as localaws
// holds it: the member stacks' forwarding rule, for `ebsguard doctor`.
type EventRule struct {
	Name    string
	Bus     string // "" is default
	State   string // ENABLED or DISABLED
	Pattern string
	Targets []string // target ARNs
}

// PutEvent is an event put on a bus, as localaws recorded it.
type PutEvent struct {
	Account, Region, Bus string
	Source, DetailType   string
	Detail               string
	Time                 time.Time
}

// eventBridge is EventBridge's state: rules by account, Region and name,
// and the events put.
type eventBridge struct {
	mu    sync.Mutex
	rules map[[3]string]EventRule
	put   []PutEvent
}

func (s *Server) bridge() *eventBridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.events == nil {
		s.events = &eventBridge{rules: map[[3]string]EventRule{}}
	}
	return s.events
}

// SetRule creates or replaces a rule in an account and Region.
func (s *Server) SetRule(account, region string, r EventRule) {
	b := s.bridge()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules[[3]string{account, region, r.Name}] = r
}

// PutEvents returns the events put so far.
func (s *Server) PutEvents() []PutEvent {
	b := s.bridge()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]PutEvent(nil), b.put...)
}

// serveEvents answers EventBridge's PutEvents (recorded), DescribeRule and
// ListTargetsByRule (from SetRule's rules), for the calling account and
// Region.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, c caller, op string) {
	_, f := s.take(op)
	if jsonFault(w, f, "ThrottlingException", "InternalException") {
		return
	}
	b := s.bridge()
	var body struct {
		Name         string
		EventBusName string
		Rule         string
		Entries      []struct {
			Source, DetailType, Detail, EventBusName string
			Time                                     *float64
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch op {
	case "PutEvents":
		type result struct {
			EventID string `json:"EventId"`
		}
		out := struct {
			FailedEntryCount int      `json:"FailedEntryCount"`
			Entries          []result `json:"Entries"`
		}{Entries: []result{}}
		for _, e := range body.Entries {
			at := time.Now()
			if e.Time != nil {
				at = time.UnixMilli(int64(*e.Time * 1000)).UTC()
			}
			bus := busName(e.EventBusName)
			b.put = append(b.put, PutEvent{Account: c.account, Region: c.region, Bus: bus, Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Time: at})
			out.Entries = append(out.Entries, result{EventID: "local-" + time.Now().Format("150405.000000000")})
		}
		writeJSON(w, out)
	case "DescribeRule":
		rule, ok := b.rules[[3]string{c.account, c.region, body.Name}]
		if !ok || busName(rule.Bus) != busName(body.EventBusName) {
			jsonError(w, http.StatusBadRequest, "ResourceNotFoundException", "Rule "+body.Name+" does not exist on EventBus "+busName(body.EventBusName)+".")
			return
		}
		writeJSON(w, map[string]any{
			"Name": rule.Name, "Arn": "arn:aws:events:" + c.region + ":" + c.account + ":rule/" + rule.Name,
			"EventBusName": busName(rule.Bus), "State": rule.State, "EventPattern": rule.Pattern,
		})
	case "ListTargetsByRule":
		rule, ok := b.rules[[3]string{c.account, c.region, body.Rule}]
		if !ok || busName(rule.Bus) != busName(body.EventBusName) {
			jsonError(w, http.StatusBadRequest, "ResourceNotFoundException", "Rule "+body.Rule+" does not exist.")
			return
		}
		type target struct {
			ID  string `json:"Id"`
			ARN string `json:"Arn"`
		}
		out := struct {
			Targets []target `json:"Targets"`
		}{Targets: []target{}}
		for i, t := range rule.Targets {
			out.Targets = append(out.Targets, target{ID: fmt.Sprintf("Target%d", i), ARN: t})
		}
		writeJSON(w, out)
	default:
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localaws answers PutEvents, DescribeRule and ListTargetsByRule only")
	}
}

// busName is a bus's name from its name or ARN; "" is the default bus.
func busName(s string) string {
	if i := strings.LastIndex(s, "event-bus/"); i >= 0 {
		s = s[i+len("event-bus/"):]
	}
	if s == "" {
		return "default"
	}
	return s
}
