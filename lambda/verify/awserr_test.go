package verify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The shapes below are the ones the SDK's clients return: an OperationError
// naming the call, around the retryer's MaxAttemptsError when retries ran out,
// around the HTTP ResponseError (status and request ID), around the API error
// the deserializer made (a GenericAPIError for EC2's and STS's Query errors, a
// modeled type for KMS's), or around a RequestSendError when no response came.

// apiError is an EC2/STS-style error as the Query deserializers make it:
// code and message, no fault.
func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "message of " + code}
}

// response wraps err in the HTTP response error of an attempt that got status.
func response(status int, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		RequestID:     "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE",
	}
}

// operation wraps err as the client returns it from the named call.
func operation(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

// exhausted is the retryer's error after its last attempt failed with err.
func exhausted(err error) error { return &retry.MaxAttemptsError{Attempt: 3, Err: err} }

// sendError is an attempt that got no response at all.
func sendError(err error) error { return &smithyhttp.RequestSendError{Err: err} }

func TestIsTransientAndErrorCode(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	attemptTimeout := &url.Error{Op: "Post", URL: "https://ec2.eu-west-1.amazonaws.com/", Err: os.ErrDeadlineExceeded}
	quota := fmt.Errorf("failed to get rate limit token, %w", ratelimit.QuotaExceededError{Available: 3, Requested: 5})
	assumeDenied := operation("STS", "AssumeRole", response(403, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole", Fault: smithy.FaultClient}))

	tests := []struct {
		name      string
		err       error
		transient bool
		code      string
	}{
		{"no error", nil, false, ""},

		// Throttling: the SDK's throttle codes, bare and as EC2/KMS return them.
		{"RequestLimitExceeded bare", apiError("RequestLimitExceeded"), true, "RequestLimitExceeded"},
		{"Throttling bare", apiError("Throttling"), true, "Throttling"},
		{"EC2 throttled after 3 attempts", operation("EC2", "DescribeImages", exhausted(response(503, apiError("RequestLimitExceeded")))), true, "RequestLimitExceeded"},
		{"KMS ThrottlingException", operation("KMS", "DescribeKey", response(400, apiError("ThrottlingException"))), true, "ThrottlingException"},
		{"retry quota spent after throttling", operation("EC2", "DescribeSnapshots", errors.Join(response(503, apiError("RequestLimitExceeded")), quota)), true, "RequestLimitExceeded"},
		{"retry quota spent, bare", quota, true, "RetryQuotaExceeded"},

		// Server errors: by HTTP status, or by the fault the service models.
		{"EC2 InternalError 500", operation("EC2", "DescribeVolumes", response(500, apiError("InternalError"))), true, "InternalError"},
		{"EC2 Unavailable 503", operation("EC2", "DescribeVolumes", exhausted(response(503, apiError("Unavailable")))), true, "Unavailable"},
		{"HTTP 503 without an error code", operation("EC2", "DescribeImages", response(503, errors.New("failed to decode error response"))), true, "HTTP503"},
		{"server fault without a status", &smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}, true, "InternalError"},
		{"KMSInternalException (modeled)", operation("KMS", "DescribeKey", &kmstypes.KMSInternalException{Message: aws.String("internal")}), true, "KMSInternalException"},
		{"DependencyTimeoutException (modeled)", operation("KMS", "DescribeKey", &kmstypes.DependencyTimeoutException{Message: aws.String("timeout")}), true, "DependencyTimeoutException"},
		{"RequestTimeout", operation("KMS", "DescribeKey", response(400, apiError("RequestTimeout"))), true, "RequestTimeout"},

		// Timeouts: the evaluation's deadline, and one attempt's.
		{"context deadline", context.DeadlineExceeded, true, "Timeout"},
		{"deadline during a call", operation("EC2", "DescribeImages", &smithy.CanceledError{Err: context.DeadlineExceeded}), true, "Timeout"},
		{"canceled during a call", operation("EC2", "DescribeImages", &smithy.CanceledError{Err: context.Canceled}), true, "Canceled"},
		{"attempt timeout, retries exhausted", operation("EC2", "DescribeImages", exhausted(sendError(attemptTimeout))), true, "Timeout"},
		{"read timeout", operation("EC2", "DescribeImages", &smithy.DeserializationError{Err: &awshttp.ResponseTimeoutError{}}), true, "Timeout"},

		// Network trouble.
		{"connection refused", refused, true, "Network"},
		{"connection refused after retries", operation("EC2", "DescribeImages", exhausted(sendError(&url.Error{Op: "Post", URL: "https://ec2.eu-west-1.amazonaws.com/", Err: refused}))), true, "Network"},
		{"connection reset", operation("KMS", "DescribeKey", sendError(reset)), true, "Network"},
		{"no such host", operation("EC2", "DescribeImages", sendError(&net.DNSError{Err: "no such host", Name: "ec2.xx-nowhere-1.amazonaws.com", IsNotFound: true})), false, "Network"},

		// Permanent: access, validation, not found.
		{"AccessDenied assuming the reader role", operation("EC2", "DescribeImages", fmt.Errorf("failed to sign request: failed to retrieve credentials: %w", assumeDenied)), false, "AccessDenied"},
		{"UnauthorizedOperation", operation("EC2", "DescribeImages", response(403, apiError("UnauthorizedOperation"))), false, "UnauthorizedOperation"},
		{"UnauthorizedOperation bare", apiError("UnauthorizedOperation"), false, "UnauthorizedOperation"},
		{"KMS AccessDeniedException", operation("KMS", "DescribeKey", response(400, apiError("AccessDeniedException"))), false, "AccessDeniedException"},
		{"InvalidParameterValue", operation("EC2", "DescribeImages", response(400, apiError("InvalidParameterValue"))), false, "InvalidParameterValue"},
		{"InvalidAMIID.NotFound", operation("EC2", "DescribeImages", response(400, apiError("InvalidAMIID.NotFound"))), false, "InvalidAMIID.NotFound"},
		{"KMS NotFoundException", operation("KMS", "DescribeKey", &kmstypes.NotFoundException{Message: aws.String("alias/x is not found")}), false, "NotFoundException"},
		{"world not found", fmt.Errorf("describe image ami-1: %w", verify.ErrNotFound), false, "NotFound"},
		{"HTTP 400 without an error code", response(400, errors.New("bad")), false, "HTTP400"},
		{"unknown", errors.New("boom"), false, "Other"},
		{"code that is no code", apiError("bad code\n"), false, "Other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verify.IsTransient(tt.err); got != tt.transient {
				t.Errorf("IsTransient(%v) = %v; want %v", tt.err, got, tt.transient)
			}
			if got := verify.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode(%v) = %q; want %q", tt.err, got, tt.code)
			}
		})
	}
}

// IsTransient agrees with the SDK's standard retryer on every error that
// retryer would retry: what the SDK retries within a call, the guardrail
// retries across invocations.
func TestIsTransientAgreesWithStandardRetryer(t *testing.T) {
	retryer := retry.NewStandard()
	for _, err := range []error{
		response(500, apiError("InternalError")), response(502, errors.New("bad gateway")), response(504, errors.New("gateway timeout")),
		response(429, errors.New("too many requests")), apiError("EC2ThrottledException"), apiError("SlowDown"),
		apiError("PriorRequestNotComplete"), apiError("RequestTimeoutException"), sendError(errors.New("write: broken pipe")),
	} {
		if !retryer.IsErrorRetryable(err) {
			t.Fatalf("the standard retryer does not retry %v: the case is wrong", err)
		}
		if !verify.IsTransient(err) {
			t.Errorf("IsTransient(%v) = false; the SDK retries it", err)
		}
	}
}
