package verify

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
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

// The SDK's own classification, as its standard retryer applies it: the
// retryable checks (connection errors, HTTP 500/502/503/504, unmodeled 429,
// retryable and throttling error codes), the throttling codes and the
// timeouts. Read once: the SDK documents these lists as its defaults.
var (
	sdkRetryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	sdkThrottles  = retry.IsErrorThrottles(retry.DefaultThrottles)
	sdkTimeouts   = retry.IsErrorTimeouts(retry.DefaultTimeouts)
)

// IsTransient reports whether a lookup error may go away on retry:
// throttling, server errors, timeouts, network trouble, as the AWS SDK's
// retryer classifies them. Not-found, access-denied and validation errors are
// permanent.
//
// Beyond the SDK's classification of one attempt, it treats as transient what
// ends a call that was still worth retrying: the SDK's retries exhausted
// (retry.MaxAttemptsError, only ever raised for a retryable error) or its
// retry quota spent, the caller's context deadline or cancellation (the lookup
// did not finish; nothing is known about the resource), and an error the
// service models as a server fault (such as KMS's KMSInternalException).
func IsTransient(err error) bool {
	if err == nil || isNotFound(err) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &maxAttempts) || errors.As(err, &quota) {
		return true
	}
	if sdkRetryables.IsErrorRetryable(err) == aws.TrueTernary ||
		sdkThrottles.IsErrorThrottle(err) == aws.TrueTernary ||
		sdkTimeouts.IsErrorTimeout(err) == aws.TrueTernary {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultServer
}

// isCode reports whether s has the shape of an AWS error code
// (RequestLimitExceeded, InvalidAMIID.NotFound, Client.DryRunOperation): a
// letter, then up to 63 letters, digits, dots, underscores or hyphens.
// Anything else is not reported as a code, so that a metric dimension stays
// a short word. (A loop, not a regexp: nothing is compiled at cold start.)
func isCode(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if i == 0 && !letter || !letter && !(r >= '0' && r <= '9') && !strings.ContainsRune("._-", r) {
			return false
		}
	}
	return true
}

// ErrorCode names an error for metrics and logs: the AWS error code when AWS
// answered with one (the innermost cause's, so a retried throttle reads
// RequestLimitExceeded and a failed AssumeRole AccessDenied), else a class:
// NotFound, Timeout, Canceled, RetryQuotaExceeded, Network, HTTP<status>
// (an HTTP error without a code), or Other. It returns "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && isCode(ae.ErrorCode()) {
		return ae.ErrorCode()
	}
	var quota ratelimit.QuotaExceededError
	var status interface{ HTTPStatusCode() int }
	switch {
	case errors.Is(err, ErrNotFound):
		return "NotFound"
	case errors.Is(err, context.DeadlineExceeded), sdkTimeouts.IsErrorTimeout(err) == aws.TrueTernary:
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.As(err, &quota):
		return "RetryQuotaExceeded"
	case retry.RetryableConnectionError{}.IsErrorRetryable(err) != aws.UnknownTernary:
		return "Network"
	case errors.As(err, &status) && status.HTTPStatusCode() >= 400:
		return "HTTP" + strconv.Itoa(status.HTTPStatusCode())
	}
	return "Other"
}
