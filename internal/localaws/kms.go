package localaws

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
)

// serveKMS answers KMS's JSON 1.1 protocol: DescribeKey only.
func (s *Server) serveKMS(w http.ResponseWriter, r *http.Request, c caller, op string) {
	wld, f := s.take(op)
	if jsonFault(w, f, "ThrottlingException", "KMSInternalException") {
		return
	}
	if op != "DescribeKey" {
		jsonError(w, http.StatusBadRequest, "UnsupportedOperationException", "localaws answers DescribeKey only")
		return
	}
	var in struct{ KeyId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	api, _ := wld.KMS(r.Context(), c.account, c.region)
	out, err := api.DescribeKey(r.Context(), &kms.DescribeKeyInput{KeyId: aws.String(in.KeyId)})
	if err != nil {
		code, msg := "NotFoundException", err.Error()
		if ae, ok := err.(smithy.APIError); ok {
			code, msg = ae.ErrorCode(), ae.ErrorMessage()
		}
		jsonError(w, http.StatusBadRequest, code, msg)
		return
	}
	md := out.KeyMetadata
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"KeyMetadata": map[string]any{
		"KeyId": aws.ToString(md.KeyId), "Arn": aws.ToString(md.Arn), "KeyManager": string(md.KeyManager),
		"KeyState": string(md.KeyState), "Enabled": md.KeyState == "" || md.KeyState == "Enabled",
		"MultiRegion": md.MultiRegion, "AWSAccountId": aws.ToString(md.AWSAccountId),
	}})
}
