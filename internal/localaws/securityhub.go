package localaws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// Security Hub's documented limits on BatchImportFindings (Security Hub API
// Reference, BatchImportFindings and AwsSecurityFinding): at most 100 findings
// a request, 240 KB a finding, and the field lengths checked below.
const (
	SecurityHubMaxFindings    = 100
	SecurityHubMaxFindingSize = 240 * 1024
)

// ImportedFinding is one finding BatchImportFindings received, as sent, with
// who sent it and whether it was accepted.
type ImportedFinding struct {
	Account, Region string
	Raw             json.RawMessage
	Finding         shtypes.AwsSecurityFinding // Raw decoded into the SDK type
	ErrorCode       string                     // empty when accepted
	ErrorMessage    string
	Received        time.Time
}

// ImportedFindings returns every finding received, in order, accepted or
// not, so that a test can check each field.
func (s *Server) ImportedFindings() []ImportedFinding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.findings)
}

// serveSecurityHub answers BatchImportFindings (REST-JSON, POST
// /findings/import): whole-request errors for an empty or oversized batch,
// and per finding a FailedFindings entry (ErrorCode InvalidInput, as Security
// Hub reports a finding that "does not adhere to Amazon Finding Format") for
// a missing required field, a field over its documented length, a finding
// over 240 KB, or an account or product ARN other than the caller's default
// product.
func (s *Server) serveSecurityHub(w http.ResponseWriter, r *http.Request, c caller) {
	_, f := s.take("BatchImportFindings")
	if fault(w, f, func(status int, code, msg string) {
		switch code {
		case "":
			code, status = "LimitExceededException", http.StatusTooManyRequests
		case deniedCode:
			code = "AccessDeniedException" // HTTP 403
		default:
			code = "InternalException"
		}
		restError(w, status, code, msg)
	}) {
		return
	}
	if r.Method != http.MethodPost {
		restError(w, http.StatusMethodNotAllowed, "InvalidInputException", "BatchImportFindings is a POST")
		return
	}
	var body struct{ Findings []json.RawMessage }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		restError(w, http.StatusBadRequest, "InvalidInputException", "malformed request: "+err.Error())
		return
	}
	if n := len(body.Findings); n == 0 || n > SecurityHubMaxFindings {
		restError(w, http.StatusBadRequest, "InvalidInputException", fmt.Sprintf("Findings must hold 1 to %d findings, not %d", SecurityHubMaxFindings, n))
		return
	}
	type failed struct{ Id, ErrorCode, ErrorMessage string }
	resp := struct {
		FailedCount    int
		SuccessCount   int
		FailedFindings []failed
	}{FailedFindings: []failed{}}
	for _, raw := range body.Findings {
		imp := ImportedFinding{Account: c.account, Region: c.region, Raw: raw, Received: time.Now()}
		_ = json.Unmarshal(raw, &imp.Finding) // a field of the wrong type is reported below
		if msg := checkFinding(raw, c); msg != "" {
			imp.ErrorCode, imp.ErrorMessage = "InvalidInput", "Finding does not adhere to Amazon Finding Format. "+msg
			var id struct{ Id string }
			json.Unmarshal(raw, &id)
			resp.FailedFindings = append(resp.FailedFindings, failed{Id: id.Id, ErrorCode: imp.ErrorCode, ErrorMessage: imp.ErrorMessage})
			resp.FailedCount++
		} else {
			resp.SuccessCount++
		}
		s.mu.Lock()
		s.findings = append(s.findings, imp)
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// checkFinding returns why a finding is not a well-formed ASFF finding that
// the caller may import under its default product, or "".
func checkFinding(raw json.RawMessage, c caller) string {
	if len(raw) > SecurityHubMaxFindingSize {
		return fmt.Sprintf("The finding is %d bytes; the maximum allowed size for a finding is 240 Kb.", len(raw))
	}
	var f struct {
		AwsAccountId, CreatedAt, UpdatedAt, Description, GeneratorId, Id, ProductArn, SchemaVersion, Title *string
		Resources                                                                                          []struct{ Id, Type *string }
		Severity                                                                                           *struct{ Label *string }
		Types                                                                                              []string
		FindingProviderFields                                                                              *struct {
			Severity *struct{ Label *string }
			Types    []string
		}
		Remediation *struct{ Recommendation *struct{ Text *string } }
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return "data is not a finding: " + err.Error()
	}
	required := []struct {
		name     string
		v        *string
		min, max int
	}{
		{"AwsAccountId", f.AwsAccountId, 12, 12}, {"CreatedAt", f.CreatedAt, 1, 0}, {"Description", f.Description, 1, 1024},
		{"GeneratorId", f.GeneratorId, 1, 512}, {"Id", f.Id, 1, 512}, {"ProductArn", f.ProductArn, 12, 2048},
		{"SchemaVersion", f.SchemaVersion, 1, 0}, {"Title", f.Title, 1, 256}, {"UpdatedAt", f.UpdatedAt, 1, 0},
	}
	for _, r := range required {
		if r.v == nil {
			return fmt.Sprintf("data should have required property '%s'.", r.name)
		}
		if n := len([]rune(*r.v)); n < r.min || (r.max > 0 && n > r.max) {
			return fmt.Sprintf("data.%s should be %d to %d characters long, not %d.", r.name, r.min, max(r.max, r.min), n)
		}
	}
	for _, ts := range []struct{ name, v string }{{"CreatedAt", *f.CreatedAt}, {"UpdatedAt", *f.UpdatedAt}} {
		if _, err := time.Parse(time.RFC3339Nano, ts.v); err != nil {
			return fmt.Sprintf("data.%s should be an ISO 8601 timestamp, not %q.", ts.name, ts.v)
		}
	}
	if n := len(f.Resources); n < 1 || n > 32 {
		return fmt.Sprintf("data.Resources should hold 1 to 32 resources, not %d.", n)
	}
	for i, res := range f.Resources {
		if res.Id == nil || *res.Id == "" || res.Type == nil || *res.Type == "" {
			return fmt.Sprintf("data.Resources[%d] should have a non-empty Id and Type.", i)
		}
	}
	label, types := (*string)(nil), f.Types
	if f.Severity != nil {
		label = f.Severity.Label
	}
	if p := f.FindingProviderFields; p != nil {
		if label == nil && p.Severity != nil {
			label = p.Severity.Label
		}
		if types == nil {
			types = p.Types
		}
	}
	if label == nil || !slices.Contains([]string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, *label) {
		return "data.Severity.Label (or FindingProviderFields.Severity.Label) should be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL."
	}
	if len(types) < 1 || len(types) > 50 {
		return "data.Types (or FindingProviderFields.Types) should hold 1 to 50 types."
	}
	if rem := f.Remediation; rem != nil && rem.Recommendation != nil && rem.Recommendation.Text != nil {
		if n := len([]rune(*rem.Recommendation.Text)); n < 1 || n > 512 {
			return fmt.Sprintf("data.Remediation.Recommendation.Text should be 1 to 512 characters long, not %d.", n)
		}
	}
	if *f.AwsAccountId != c.account {
		return fmt.Sprintf("data.AwsAccountId %s is not the calling account %s.", *f.AwsAccountId, c.account)
	}
	if want := fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", c.region, c.account, c.account); *f.ProductArn != want {
		return fmt.Sprintf("data.ProductArn %s is not the caller's default product %s.", *f.ProductArn, want)
	}
	return ""
}

// restError answers an error in the REST-JSON protocol.
func restError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": msg})
}
