package verify

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// Class says why a record could not be checked, in a word that code routes
// on: the SNS "error" attribute (which subscription filter policies and
// users' alarms select on), the ErrorVerdicts metric and the operational
// notice's advice all switch on the class, never on an error's text. The
// values are the SNS attribute's (README, "Notifications"): keep them.
type Class string

// The classes of an error verdict.
const (
	// ClassReaderRole: the reader role could not be assumed in the member
	// account (STS AssumeRole denied, or the role does not exist).
	ClassReaderRole Class = "reader-role"
	// ClassAccessDenied: a read call was denied (IAM, SCP, key policy).
	ClassAccessDenied Class = "access-denied"
	// ClassKeyNotFound: a KMS key reference (the request's, a launch
	// template's, the EBS default, the policy's) does not resolve.
	ClassKeyNotFound Class = "key-not-found"
	// ClassNotFound: an AMI, snapshot, volume or launch template the call
	// used is not visible to the account.
	ClassNotFound Class = "not-found"
	// ClassThrottled: AWS throttled the reads past the SDK's retries.
	ClassThrottled Class = "throttled"
	// ClassUnavailable: a server error, a timeout or a network failure past
	// the SDK's retries.
	ClassUnavailable Class = "unavailable"
	// ClassMalformed: the record cannot be read as a call ebsguard checks,
	// or names an invalid account, Region or time.
	ClassMalformed Class = "malformed"
	// ClassInconsistentRecord: the record shows a success that AWS documents
	// as rejected.
	ClassInconsistentRecord Class = "inconsistent-record"
	// ClassStillPending: a re-check gave up; the result never showed.
	ClassStillPending Class = "still-pending"
	// ClassLookupFailed: AWS answered a read with an error of no other class.
	ClassLookupFailed Class = "lookup-failed"
	// ClassInternal: an error that did not come from AWS nor from the
	// record: a bug of ebsguard.
	ClassInternal Class = "internal"
	// ClassSecurityHub: the findings reached the topic, but Security Hub
	// refused them after its retries (docs/guarantees.md).
	ClassSecurityHub Class = "security-hub"
	// ClassRecheck: the record cannot be checked again through the re-check
	// queue: a message too large, or one the function did not write.
	ClassRecheck Class = "recheck"
)

// Classes lists every class, for documentation and tests.
func Classes() []Class {
	return []Class{ClassReaderRole, ClassAccessDenied, ClassKeyNotFound, ClassNotFound, ClassThrottled, ClassUnavailable,
		ClassMalformed, ClassInconsistentRecord, ClassStillPending, ClassLookupFailed, ClassInternal, ClassSecurityHub, ClassRecheck}
}

// Error is an error with its class: what the engine returns where it knows
// the class better than the AWS error code does (a record it cannot read, a
// key that does not resolve).
type Error struct {
	Class Class
	Op    string // what was being done: "describe key alias/x in eu-west-1"
	Err   error
}

func (e *Error) Error() string {
	switch {
	case e.Op == "":
		return e.Err.Error()
	case e.Err == nil:
		return e.Op
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// classed returns err with its class, unless it is nil.
func classed(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Err: err}
}

// ClassOf returns the class of an error: the class of the outermost *Error
// in its chain, else the class of the AWS error it wraps. It returns "" for
// nil.
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Class != "" {
		return e.Class
	}
	return classify(err)
}

// Error codes AWS answers a denied read with: EC2's, STS's and KMS's.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"Client.UnauthorizedOperation": true, "AuthFailure": true, "NoSuchEntity": true,
}

// classify is the one place that reads AWS errors for their meaning: the
// smithy API error code, the operation that failed (an STS AssumeRole inside
// an EC2 call's credentials) and the SDK's retry classification.
func classify(err error) Class {
	if isNotFound(err) && !assumeRoleFailed(err) {
		return ClassNotFound
	}
	var ae smithy.APIError
	hasCode := errors.As(err, &ae)
	if assumeRoleFailed(err) && hasCode && (deniedCodes[ae.ErrorCode()] || isNotFound(err)) {
		return ClassReaderRole
	}
	if errors.Is(err, rules.ErrBadKeyRef) {
		return ClassKeyNotFound
	}
	if hasCode && deniedCodes[ae.ErrorCode()] {
		return ClassAccessDenied
	}
	if sdkThrottles.IsErrorThrottle(err) == aws.TrueTernary {
		return ClassThrottled
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) && sdkThrottles.IsErrorThrottle(maxAttempts.Err) == aws.TrueTernary {
		return ClassThrottled
	}
	if IsTransient(err) {
		return ClassUnavailable
	}
	var status interface{ HTTPStatusCode() int }
	if hasCode || errors.As(err, &status) {
		return ClassLookupFailed
	}
	if errors.Is(err, context.Canceled) {
		return ClassUnavailable
	}
	return ClassInternal
}

// assumeRoleFailed reports whether an STS AssumeRole call failed somewhere in
// err's chain: the EC2 or KMS call failed while getting its credentials.
func assumeRoleFailed(err error) bool {
	found := false
	walk(err, func(e error) bool {
		if op, ok := e.(*smithy.OperationError); ok && op.ServiceID == "STS" && op.OperationName == "AssumeRole" {
			found = true
		}
		return !found
	})
	return found
}

// walk visits err and every error it wraps, depth first, while visit
// returns true.
func walk(err error, visit func(error) bool) bool {
	if err == nil {
		return true
	}
	if !visit(err) {
		return false
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !walk(e, visit) {
				return false
			}
		}
	}
	return true
}
