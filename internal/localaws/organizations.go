package localaws

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

const organizationsTarget = "AWSOrganizationsV20161128."

// serveOrganizations answers Organizations' JSON 1.1 protocol: ListAccounts
// only, from the world's organization, to the calling account.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, c caller, op string) {
	wld, f := s.take(op)
	if jsonFault(w, f, "TooManyRequestsException", "ServiceException") {
		return
	}
	if op != "ListAccounts" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "localaws answers ListAccounts only")
		return
	}
	var body struct {
		MaxResults *int32
		NextToken  *string
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	out, err := wld.World().Organizations(c.account).ListAccounts(r.Context(), &organizations.ListAccountsInput{MaxResults: body.MaxResults, NextToken: body.NextToken})
	if err != nil {
		var invalid *orgtypes.InvalidInputException
		if errors.As(err, &invalid) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": invalid.ErrorCode(), "Message": invalid.ErrorMessage(), "Reason": string(invalid.Reason)})
			return
		}
		apiError(w, err)
		return
	}
	type account struct {
		ID              string   `json:"Id"`
		ARN             string   `json:"Arn,omitempty"`
		Email           string   `json:"Email,omitempty"`
		Name            string   `json:"Name,omitempty"`
		Status          string   `json:"Status,omitempty"`
		State           string   `json:"State,omitempty"`
		JoinedMethod    string   `json:"JoinedMethod,omitempty"`
		JoinedTimestamp *float64 `json:"JoinedTimestamp,omitempty"`
	}
	resp := struct {
		Accounts  []account `json:"Accounts"`
		NextToken string    `json:"NextToken,omitempty"`
	}{Accounts: []account{}, NextToken: aws.ToString(out.NextToken)}
	for _, a := range out.Accounts {
		x := account{ID: aws.ToString(a.Id), ARN: aws.ToString(a.Arn), Email: aws.ToString(a.Email), Name: aws.ToString(a.Name),
			Status: string(a.Status), State: string(a.State), JoinedMethod: string(a.JoinedMethod)}
		if a.JoinedTimestamp != nil {
			x.JoinedTimestamp = aws.Float64(float64(a.JoinedTimestamp.UnixMilli()) / 1000)
		}
		resp.Accounts = append(resp.Accounts, x)
	}
	writeJSON(w, resp)
}
