package securityhub

import (
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// settingResource maps the resource of a settings change (rules.md,
// "Settings changes"): the account, whose EBS setting in the Region changed,
// then the new default key. ok is false for any other resource.
func settingResource(v verify.Verdict, r verify.Resource, partition string) ([]types.Resource, bool) {
	if _, ok := rules.SettingChangeByEvent(v.EventName); !ok {
		return nil, false
	}
	details := map[string]string{"Setting": r.Resource, "AccountId": v.Account}
	if r.Actual != nil {
		details["EbsEncryptionByDefault"] = boolString(r.Actual.Encrypted)
		details["EbsDefaultKmsKeyId"] = r.Actual.KMSKeyARN
	}
	out := []types.Resource{resource("AwsAccount", "AWS::::Account:"+v.Account, partition, v.Region, &types.ResourceDetails{Other: others(details)})}
	if r.Actual != nil && r.Actual.KMSKeyARN != "" {
		out = append(out, resource("AwsKmsKey", r.Actual.KMSKeyARN, partition, v.Region, nil))
	}
	return out, true
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
