package verify

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrNotFound marks a lookup of something that does not exist (or is not
// visible to the account): a permanent answer, never retried.
var ErrNotFound = errors.New("not found")

// isNotFound reports whether err is an EC2 or KMS "does not exist" error.
func isNotFound(err error) bool {
	if errors.Is(err, ErrNotFound) {
		return true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return code == "NotFoundException" || strings.HasSuffix(code, ".NotFound") ||
		strings.HasSuffix(code, ".NotFoundException") || strings.HasSuffix(code, ".VersionNotFound")
}

// IsTransient reports whether a lookup error may go away on retry: throttling,
// server errors, time-outs, network trouble. Not-found, access-denied and
// validation errors are permanent.
func IsTransient(err error) bool {
	if err == nil || isNotFound(err) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorFault() == smithy.FaultServer {
			return true
		}
		code := ae.ErrorCode()
		switch {
		case strings.Contains(code, "Throttl"), code == "RequestLimitExceeded",
			code == "TooManyRequestsException", code == "KMSInternalException",
			code == "DependencyTimeoutException", code == "InternalError",
			code == "ServiceUnavailable", code == "Unavailable":
			return true
		}
		return false
	}
	// A call that got no API answer at all: network trouble, time-outs, an
	// exhausted retry quota.
	var oe *smithy.OperationError
	return errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded)
}

// ErrorCode returns the AWS error code of a lookup failure, or a short class
// (NotFound, Timeout, Other) when AWS gave none.
func ErrorCode(err error) string {
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case isNotFound(err):
		return "NotFound"
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	default:
		return "Other"
	}
}
