package notify

import "github.com/ebsguard/ebsguard/lambda/verify"

// ErrorClass is the class of a permanent error verdict, the value of the
// message's "error" attribute: the class the engine gave the error where it
// entered (verify.Classes: "reader-role", "access-denied", "key-not-found",
// "not-found", "malformed", "still-pending", "inconsistent-record",
// "throttled", "unavailable", "lookup-failed", "internal"). Notices of one
// class in one account and Region are aggregated (lambda/noticewindow).
func ErrorClass(v verify.Verdict) string {
	return classify(v).kind
}
