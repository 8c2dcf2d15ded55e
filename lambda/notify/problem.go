package notify

import (
	"fmt"
	"strings"

	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// stillPending prefixes the reason of a re-check that gave up (formats.md §4):
// "still-pending:<how long>", a format the spec fixes.
const stillPending = "still-pending:"

// problem is why a record could not be checked, in words a person can act on.
type problem struct {
	kind  string // the "error" attribute, for filter policies
	short string // for the subject
	todo  string // what to do, for the e-mail
}

// classify turns an error verdict's class into words. It reads the class the
// engine gave the error where it entered, never the reason's text: rewording
// an error message cannot change where a notice goes.
func classify(v verify.Verdict) problem {
	account, region := printable.String(v.Account), printable.String(v.Region)
	class := v.ErrorClass
	if class == "" {
		class = verify.ClassLookupFailed
	}
	switch class {
	case verify.ClassStillPending:
		waited, _ := strings.CutPrefix(v.Reason, stillPending)
		return problem{string(class), "still pending after " + cut(printable.String(waited), 20),
			fmt.Sprintf("The result of the %s call was still not visible after %s. "+
				"Check in account %s, Region %s, whether it is still being made or failed (%s), "+
				"and evaluate the event again with `ebsguard replay` once the result is there.",
				p(v.EventName), printable.String(waited), account, region, showPending(v))}
	case verify.ClassSecurityHub:
		return problem{string(class), "findings not imported into Security Hub",
			"The findings of this event reached this topic, but Security Hub refused them after several tries (see Why). " +
				"Check that Security Hub is enabled in the function's account and Region and accepts findings of its default product, " +
				"then evaluate the event again with `ebsguard replay --securityhub`."}
	case verify.ClassRecheck:
		return problem{string(class), "re-check not possible",
			"The event could not be checked again through the re-check queue (see Why): the resources below were not checked. " +
				"Evaluate the event with `ebsguard replay` once its results are there; for an invalid message, check who can send to the re-check queue."}
	case verify.ClassInconsistentRecord:
		return problem{string(class), "a rejected call recorded as a success",
			fmt.Sprintf("The record shows a call that AWS documents as rejected (a kmsKeyId without encrypted=true), yet CloudTrail recorded no errorCode, "+
				"so the documented rules cannot say which key the result should have. Look at the result in account %s, Region %s by hand (the resources below), "+
				"and tell the ebsguard maintainers: EC2 may have changed how it handles such a call.", account, region)}
	case verify.ClassReaderRole:
		return problem{string(class), "reader role not assumable",
			fmt.Sprintf("The function could not assume the ebsguard reader role (READER_ROLE_NAME, default ebsguard-reader) in account %s. "+
				"Deploy the member stack to that account (the StackSet's targets), or fix the role's trust policy, or the SCP that denies sts:AssumeRole; "+
				"then evaluate the event again with `ebsguard replay`.", account)}
	case verify.ClassAccessDenied:
		return problem{string(class), "access denied",
			fmt.Sprintf("A read call was denied in account %s, Region %s (see Why). Allow the reader role's ec2:Describe*, ec2:GetEbs* and kms:DescribeKey "+
				"there: check the service control policies of the account and the role's policy; then evaluate the event again with `ebsguard replay`.", account, region)}
	case verify.ClassKeyNotFound:
		return problem{string(class), "key not resolvable",
			fmt.Sprintf("A KMS key named by the request, its launch template, the account's EBS default or the policy does not resolve in account %s, Region %s. "+
				"Fix the key ID or alias (an alias must exist in that account and Region), or the policy's allowedKeys.", account, region)}
	case verify.ClassMalformed:
		return problem{string(class), "unreadable record",
			"The CloudTrail record could not be read as a call ebsguard checks, or names an invalid account or Region. " +
				"The function's log has the record's verdict (message \"evaluated\", with this event ID); check where the record came from."}
	case verify.ClassNotFound:
		return problem{string(class), "resource not found",
			fmt.Sprintf("An AMI, snapshot, volume or launch template the call used is not visible to account %s in Region %s "+
				"(deleted since, or shared with the account no longer). Check it with aws ec2 describe-images / describe-snapshots.", account, region)}
	case verify.ClassThrottled, verify.ClassUnavailable:
		return problem{string(class), "AWS did not answer in time",
			fmt.Sprintf("Reads in account %s, Region %s were throttled or failed on AWS's side past every retry. "+
				"Evaluate the event again with `ebsguard replay` later; if it keeps happening, raise the account's EC2 or KMS request quotas.", account, region)}
	case verify.ClassInternal:
		return problem{string(class), "internal error",
			"ebsguard failed on its own account, not AWS's nor the record's. The function's log has the verdict (message \"evaluated\", with this event ID); " +
				"report it to the ebsguard maintainers with that line."}
	default:
		return problem{string(verify.ClassLookupFailed), "lookup failed",
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
