// Package localaws is a small, exact stand-in for the AWS calls ebsguard
// makes, answered from a world file (formats.md §2): EC2, KMS and STS for the
// Lambda and replay, CloudTrail LookupEvents, Organizations ListAccounts and
// EC2 DescribeRegions for `ebsguard audit`, and Security Hub
// BatchImportFindings, whose findings it records. It speaks the real wire
// protocols (EC2 and STS Query with XML answers, KMS, CloudTrail and
// Organizations JSON 1.1, Security Hub REST-JSON), so the real SDK v2 clients
// reach it through the standard AWS_ENDPOINT_URL_<SERVICE> variables, with no
// test-only code path in the callers. It counts requests per API and injects
// faults on demand.
//
// The world is served live (world.Live): results a Region lists as "later"
// appear after their describe calls or seconds, counted from New or SetWorld.
//
// Identity: an access key ID of the form LOCAL<12-digit account> calls as that
// account (STS AssumeRole hands out such keys for the role's account); any
// other key calls as the server's default account. The Region is the one the
// request is signed for.
package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ebsguard/ebsguard/lambda/world"
)

// Fault makes the next Count calls of an API fail or slow down.
type Fault struct {
	API   string        `json:"api"`   // e.g. "DescribeImages", "DescribeKey", "AssumeRole", "LookupEvents", "BatchImportFindings"
	Kind  string        `json:"kind"`  // "throttle", "5xx", "slow" or "accessdenied"
	Count int           `json:"count"` // how many calls; 0 means 1
	Delay time.Duration `json:"delay"` // for "slow"
}

// Server serves the APIs on a loopback listener.
type Server struct {
	DefaultAccount string

	// LookupEventsPerSecond, when positive, is enforced per account and
	// Region as CloudTrail does (world.CloudTrailLookupEventsPerSecond):
	// calls above it are answered ThrottlingException. Zero: no limit, so
	// that tests run at full speed. Set it before Start.
	LookupEventsPerSecond int

	mu       sync.Mutex
	live     *world.Live
	counts   map[string]int
	faults   map[string][]Fault
	lookups  map[[2]string][]time.Time // recent LookupEvents per account and Region
	findings []ImportedFinding
	events   *eventBridge // events.go

	srv *http.Server
	url string
}

// New returns a server over a world; Start makes it listen.
func New(w *world.World, defaultAccount string) *Server {
	return &Server{DefaultAccount: defaultAccount, live: w.Live(nil), counts: map[string]int{}, faults: map[string][]Fault{}, lookups: map[[2]string][]time.Time{}}
}

// Start listens on 127.0.0.1 at a free port (or addr, which must be a
// loopback address) and serves until Close.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("localaws listens on loopback only, not %q", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	return nil
}

// URL is the endpoint to put in AWS_ENDPOINT_URL_EC2, _KMS, _STS,
// _CLOUDTRAIL, _ORGANIZATIONS and _SECURITYHUB.
func (s *Server) URL() string { return s.url }

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// SetWorld replaces the world the answers come from; its later results
// count their calls and seconds from now.
func (s *Server) SetWorld(w *world.World) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = w.Live(nil)
}

// Counts returns the requests served per API since the last reset.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the request counts.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// ClearFaults drops the faults not yet applied and returns how many calls
// they would still have affected, e.g. to end an outage when a test moves on
// and to learn whether the calls it expected came.
func (s *Server) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := 0
	for _, q := range s.faults {
		for _, f := range q {
			left += f.Count
		}
	}
	s.faults = map[string][]Fault{}
	return left
}

// Inject queues a fault for an API.
func (s *Server) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[f.API] = append(s.faults[f.API], f)
}

// take counts a call and returns the world to answer from and the fault the
// call should suffer, if any.
func (s *Server) take(api string) (*world.Live, *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[api]++
	queue := s.faults[api]
	if len(queue) == 0 {
		return s.live, nil
	}
	f := queue[0]
	queue[0].Count--
	if queue[0].Count == 0 {
		s.faults[api] = queue[1:]
	}
	return s.live, &f
}

var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// caller is who signed a request, for which Region and service.
type caller struct {
	account, region, service string
}

func (s *Server) caller(r *http.Request) caller {
	c := caller{account: s.DefaultAccount, region: "us-east-1"}
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.region, c.service = m[2], m[3]
		if key := m[1]; strings.HasPrefix(key, accessKeyPrefix) && len(key) == len(accessKeyPrefix)+12 {
			c.account = strings.TrimPrefix(key, accessKeyPrefix)
		}
	}
	return c
}

// accessKeyPrefix starts the access key IDs that name an account.
const accessKeyPrefix = "LOCAL"

// AccessKeyFor returns the access key ID that calls as an account.
func AccessKeyFor(account string) string { return accessKeyPrefix + account }

// ServeHTTP routes by protocol: the JSON services by their X-Amz-Target
// header, Security Hub by its REST path, STS and EC2 (both form-encoded
// Query) by the signed service name.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_localaws/counts":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Counts())
		return
	case r.URL.Path == "/_localaws/faults" && r.Method == http.MethodPost:
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.API == "" {
			http.Error(w, "want {\"api\":...,\"kind\":...,\"count\":...}", http.StatusBadRequest)
			return
		}
		s.Inject(f)
		return
	}
	c := s.caller(r)
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "TrentService."):
		s.serveKMS(w, r, c, strings.TrimPrefix(target, "TrentService."))
		return
	case strings.HasPrefix(target, cloudTrailTarget):
		s.serveCloudTrail(w, r, c, strings.TrimPrefix(target, cloudTrailTarget))
		return
	case strings.HasPrefix(target, eventsTarget):
		s.serveEvents(w, r, c, strings.TrimPrefix(target, eventsTarget))
		return
	case strings.HasPrefix(target, organizationsTarget):
		s.serveOrganizations(w, r, c, strings.TrimPrefix(target, organizationsTarget))
		return
	case r.URL.Path == "/findings/import":
		s.serveSecurityHub(w, r, c)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	if c.service == "sts" || action == "AssumeRole" || action == "GetCallerIdentity" {
		s.serveSTS(w, r, c, action)
		return
	}
	s.serveEC2(w, r, c, action)
}

// deniedCode is what fault passes its answer for an "accessdenied" fault;
// each service answers it with its own code.
const deniedCode = "AccessDenied"

// fault applies an injected fault; it reports whether the call was answered.
// answer writes the service's error: code "" is its throttling error,
// deniedCode its access-denied error (HTTP 403 as passed, or the service's
// own status), anything else its server error.
func fault(w http.ResponseWriter, f *Fault, answer func(status int, code, msg string)) bool {
	if f == nil {
		return false
	}
	switch f.Kind {
	case "slow":
		time.Sleep(f.Delay)
		return false
	case "5xx":
		answer(http.StatusInternalServerError, "InternalError", "injected server error")
	case "accessdenied":
		// As an SCP or a role's policy denies a call: permanent, never retried.
		answer(http.StatusForbidden, deniedCode, "injected fault: access denied (explicit deny in a service control policy)")
	default:
		answer(http.StatusServiceUnavailable, "", "injected throttling")
	}
	return true
}

var errUnsupported = errors.New("unsupported action")
