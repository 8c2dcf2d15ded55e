package localaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+$`)

// serveSTS answers AssumeRole (credentials that call as the role's account)
// and GetCallerIdentity.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, c caller, action string) {
	_, f := s.take(action)
	if fault(w, f, func(status int, code, msg string) {
		if code == "" {
			code = "Throttling"
			status = http.StatusBadRequest
		}
		stsError(w, status, code, msg)
	}) {
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	switch action {
	case "GetCallerIdentity":
		type result struct {
			Account string `xml:"Account"`
			ARN     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
		}
		writeXML(w, struct {
			XMLName xml.Name `xml:"GetCallerIdentityResponse"`
			NS      string   `xml:"xmlns,attr"`
			Result  result   `xml:"GetCallerIdentityResult"`
		}{NS: stsNS, Result: result{Account: c.account, ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/ebsguard/local", c.account), UserID: "AROALOCAL:local"}})
	case "AssumeRole":
		role := r.PostForm.Get("RoleArn")
		m := roleARN.FindStringSubmatch(role)
		if m == nil {
			stsError(w, http.StatusBadRequest, "ValidationError", "invalid RoleArn "+role)
			return
		}
		type creds struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		}
		type user struct {
			ID  string `xml:"AssumedRoleId"`
			ARN string `xml:"Arn"`
		}
		writeXML(w, struct {
			XMLName xml.Name `xml:"AssumeRoleResponse"`
			NS      string   `xml:"xmlns,attr"`
			Creds   creds    `xml:"AssumeRoleResult>Credentials"`
			User    user     `xml:"AssumeRoleResult>AssumedRoleUser"`
		}{NS: stsNS,
			Creds: creds{AccessKeyID: AccessKeyFor(m[1]), SecretAccessKey: "local", SessionToken: "local",
				Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
			User: user{ID: "AROALOCAL:" + r.PostForm.Get("RoleSessionName"), ARN: role}})
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "localaws answers AssumeRole and GetCallerIdentity only")
	}
}

func writeXML(w http.ResponseWriter, v any) {
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(v)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	writeXML(w, struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		NS      string   `xml:"xmlns,attr"`
		Type    string   `xml:"Error>Type"`
		Code    string   `xml:"Error>Code"`
		Message string   `xml:"Error>Message"`
	}{NS: stsNS, Type: "Sender", Code: code, Message: msg})
}
