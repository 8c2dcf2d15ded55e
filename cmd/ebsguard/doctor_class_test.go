package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

// The doctor tells a role it cannot assume from any other failure by the
// error's class (an STS AssumeRole operation that AWS denied, or whose role
// does not exist), never by the words of its message.
func TestIsAssumeDeniedByClassNotText(t *testing.T) {
	assume := func(code string) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
			Err: &smithy.GenericAPIError{Code: code, Message: "not authorized"}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"assume denied, inside the EC2 call", &smithy.OperationError{ServiceID: "EC2", OperationName: "GetEbsEncryptionByDefault",
			Err: fmt.Errorf("get credentials: %w", assume("AccessDenied"))}, true},
		{"role does not exist", assume("NoSuchEntity"), true},
		{"assume throttled", assume("Throttling"), false},
		{"EC2 denied, its message naming AssumeRole", &smithy.OperationError{ServiceID: "EC2", OperationName: "GetEbsEncryptionByDefault",
			Err: &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "AccessDenied after AssumeRole"}}, false},
		{"text only", errors.New("AssumeRole: AccessDenied"), false},
		{"nil", nil, false},
	} {
		if got := isAssumeDenied(tc.err); got != tc.want {
			t.Errorf("%s: isAssumeDenied(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
