package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// stillPending prefixes the reason of a re-check that gave up (formats.md §4).
const stillPending = "still-pending:"

// keyLookup matches the engine's errors of a key reference that does not
// resolve: "KMS key alias/x in eu-west-1: not found", "describe key ...",
// "... predicts alias/x, which cannot be resolved: ...".
var keyLookup = regexp.MustCompile(`(^|: )(KMS key |describe key )|which cannot be resolved`)

// problem is why a record could not be checked, in words a person can act on.
type problem struct {
	kind  string // the "error" attribute, for filter policies
	short string // for the subject
	todo  string // what to do, for the e-mail
}

// classify reads an error verdict's reason and the AWS error codes of its
// failed lookups. The reason is the engine's error text (an SDK error
// wrapped with what was being looked up), so the matching is on the error
// codes the SDK writes into it.
func classify(v verify.Verdict) problem {
	reason := v.Reason
	has := func(codes ...string) bool {
		for _, c := range codes {
			if slices.Contains(v.ErrorCodes, c) || strings.Contains(reason, c) {
				return true
			}
		}
		return false
	}
	account, region := printable.String(v.Account), printable.String(v.Region)
	switch {
	case strings.HasPrefix(reason, stillPending):
		waited := strings.TrimPrefix(reason, stillPending)
		return problem{"still-pending", "still pending after " + cut(printable.String(waited), 20),
			fmt.Sprintf("The result of the %s call was still not visible after %s. "+
				"Check in account %s, Region %s, whether it is still being made or failed (%s), "+
				"and evaluate the event again with `ebsguard replay` once the result is there.",
				p(v.EventName), printable.String(waited), account, region, showPending(v))}
	case strings.HasPrefix(reason, "security-hub-import-failed:"):
		return problem{"security-hub", "findings not imported into Security Hub",
			"The findings of this event reached this topic, but Security Hub refused them after several tries (see Why). " +
				"Check that Security Hub is enabled in the function's account and Region and accepts findings of its default product, " +
				"then evaluate the event again with `ebsguard replay --securityhub`."}
	case strings.HasPrefix(reason, "re-check-too-large:"), strings.HasPrefix(reason, "invalid re-check message"):
		return problem{"recheck", "re-check not possible",
			"The event could not be checked again through the re-check queue (see Why): the resources below were not checked. " +
				"Evaluate the event with `ebsguard replay` once its results are there; for an invalid message, check who can send to the re-check queue."}
	case strings.Contains(reason, verify.RejectedWithoutErrorCode):
		return problem{"inconsistent-record", "a rejected call recorded as a success",
			fmt.Sprintf("The record shows a call that AWS documents as rejected (a kmsKeyId without encrypted=true), yet CloudTrail recorded no errorCode, "+
				"so the documented rules cannot say which key the result should have. Look at the result in account %s, Region %s by hand (the resources below), "+
				"and tell the ebsguard maintainers: EC2 may have changed how it handles such a call.", account, region)}
	case strings.Contains(reason, "AssumeRole") && has("AccessDenied", "NoSuchEntity"):
		return problem{"reader-role", "reader role not assumable",
			fmt.Sprintf("The function could not assume the ebsguard reader role (READER_ROLE_NAME, default ebsguard-reader) in account %s. "+
				"Deploy the member stack to that account (the StackSet's targets), or fix the role's trust policy, or the SCP that denies sts:AssumeRole; "+
				"then evaluate the event again with `ebsguard replay`.", account)}
	case has("AccessDenied", "UnauthorizedOperation", "AccessDeniedException"):
		return problem{"access-denied", "access denied",
			fmt.Sprintf("A read call was denied in account %s, Region %s (see Why). Allow the reader role's ec2:Describe*, ec2:GetEbs* and kms:DescribeKey "+
				"there: check the service control policies of the account and the role's policy; then evaluate the event again with `ebsguard replay`.", account, region)}
	case keyLookup.MatchString(reason):
		return problem{"key-not-found", "key not resolvable",
			fmt.Sprintf("A KMS key named by the request, its launch template, the account's EBS default or the policy does not resolve in account %s, Region %s. "+
				"Fix the key ID or alias (an alias must exist in that account and Region), or the policy's allowedKeys.", account, region)}
	case strings.Contains(reason, "malformed") || strings.HasPrefix(reason, "invalid "):
		return problem{"malformed", "unreadable record",
			"The CloudTrail record could not be read as a call ebsguard checks, or names an invalid account or Region. " +
				"The function's log has the record's verdict (message \"evaluated\", with this event ID); check where the record came from."}
	case has("NotFound", "not found"):
		return problem{"not-found", "resource not found",
			fmt.Sprintf("An AMI, snapshot, volume or launch template the call used is not visible to account %s in Region %s "+
				"(deleted since, or shared with the account no longer). Check it with aws ec2 describe-images / describe-snapshots.", account, region)}
	default:
		return problem{"lookup-failed", "lookup failed",
			"A lookup failed permanently. The function's log has the verdict (message \"evaluated\", with this event ID); " +
				"fix the cause and evaluate the event again with `ebsguard replay`."}
	}
}

// showPending is the command that shows a result not visible yet: the
// kind's, for the first such resource.
func showPending(v verify.Verdict) string {
	k, ok := rules.KindByEvent(v.EventName)
	if !ok || k.Show == "" {
		return "aws ec2 describe-… in that Region"
	}
	parent := "<parent>"
	if pending := v.Pending(); len(pending) > 0 && pending[0].Parent != "" {
		parent = printable.String(pending[0].Parent)
	}
	return strings.Replace(k.Show, "<parent>", parent, 1) + " --region " + printable.String(v.Region)
}
