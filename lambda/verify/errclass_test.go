package verify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Errors are classified where they enter, from their types and AWS error
// codes; wrapping them with words (as every lookup does) changes nothing.
func TestClassOf(t *testing.T) {
	// The reader role's AssumeRole fails while the EC2 call gets its
	// credentials: the STS error sits inside the EC2 call's.
	assume := func(code string) error {
		return operation("EC2", "DescribeImages", fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w",
			operation("STS", "AssumeRole", response(403, &smithy.GenericAPIError{Code: code, Fault: smithy.FaultClient}))))
	}
	tests := []struct {
		name string
		err  error
		want verify.Class
	}{
		{"nil", nil, ""},
		{"reader role denied", assume("AccessDenied"), verify.ClassReaderRole},
		{"reader role missing", assume("NoSuchEntity"), verify.ClassReaderRole},
		{"reader role throttled", assume("Throttling"), verify.ClassThrottled},
		{"EC2 denied", operation("EC2", "DescribeSnapshots", response(403, apiError("UnauthorizedOperation"))), verify.ClassAccessDenied},
		{"KMS denied", operation("KMS", "DescribeKey", response(400, &kmstypes.NotFoundException{})), verify.ClassNotFound},
		{"KMS access denied", operation("KMS", "DescribeKey", response(400, apiError("AccessDeniedException"))), verify.ClassAccessDenied},
		{"image not found", operation("EC2", "DescribeImages", response(400, apiError("InvalidAMIID.NotFound"))), verify.ClassNotFound},
		{"not found, the engine's", fmt.Errorf("image ami-1: %w", verify.ErrNotFound), verify.ClassNotFound},
		{"throttled past retries", operation("EC2", "DescribeVolumes", exhausted(response(503, apiError("RequestLimitExceeded")))), verify.ClassThrottled},
		{"server error past retries", operation("EC2", "DescribeVolumes", exhausted(response(500, apiError("InternalError")))), verify.ClassUnavailable},
		{"deadline", fmt.Errorf("describe: %w", context.DeadlineExceeded), verify.ClassUnavailable},
		{"other AWS error", operation("EC2", "GetEbsDefaultKmsKeyId", response(400, apiError("OptInRequired"))), verify.ClassLookupFailed},
		{"bad key reference", fmt.Errorf("key %q: %w", "x y", rules.ErrBadKeyRef), verify.ClassKeyNotFound},
		{"a bug", errors.New("something else"), verify.ClassInternal},
		{"classed by the engine", fmt.Errorf("volume /dev/xvda: %w", &verify.Error{Class: verify.ClassKeyNotFound, Err: verify.ErrNotFound}), verify.ClassKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verify.ClassOf(tt.err); got != tt.want {
				t.Errorf("ClassOf(%v) = %q; want %q", tt.err, got, tt.want)
			}
			// Words around the error do not change its class.
			if tt.err != nil {
				if got := verify.ClassOf(fmt.Errorf("AssumeRole AccessDenied malformed not found: %w", tt.err)); got != tt.want {
					t.Errorf("wrapped: ClassOf = %q; want %q", got, tt.want)
				}
			}
		})
	}
}

// Every class is a distinct word that an SNS attribute accepts.
func TestClassesAreWords(t *testing.T) {
	seen := map[verify.Class]bool{}
	for _, c := range verify.Classes() {
		if c == "" || seen[c] {
			t.Errorf("class %q empty or repeated", c)
		}
		seen[c] = true
		for _, r := range c {
			if !(r >= 'a' && r <= 'z' || r == '-') {
				t.Errorf("class %q: %q is not a lower-case letter or hyphen", c, r)
			}
		}
	}
}

// An error verdict carries its class, for the engine's own errors too.
func TestVerdictCarriesErrorClass(t *testing.T) {
	w, it := load(t, "launch-encrypted-shared")
	e := verify.New(verify.Config{Clients: w})
	bad := *it.Record
	bad.EventTime = "yesterday at noon"
	if v := e.Evaluate(context.Background(), cloudtrail.Item{Record: &bad}); v.Status != verify.StatusError || v.ErrorClass != verify.ClassMalformed {
		t.Errorf("bad eventTime: %s %q (%s); want error, malformed", v.Status, v.ErrorClass, v.Reason)
	}
	if v := e.Evaluate(context.Background(), it); v.ErrorClass != "" {
		t.Errorf("a %s verdict has class %q", v.Status, v.ErrorClass)
	}
}
