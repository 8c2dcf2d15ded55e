package verify

// The account's EBS settings in a Region, as every kind asks them: whether
// encryption by default is on, and the default key (reused across events,
// refreshed before a finding rests on them).

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

// ebd returns whether encryption by default is on.
func (s *session) ebd(region string) (bool, error) {
	if v, known, _ := s.ebdAtEvent(region); known {
		return v, nil
	}
	return remember(s, "ebd/"+s.account+"/"+region, setting, func() (bool, error) {
		c, err := s.ec2(region)
		if err != nil {
			return false, err
		}
		out, err := c.GetEbsEncryptionByDefault(s.ctx, &ec2.GetEbsEncryptionByDefaultInput{})
		if err != nil {
			return false, fmt.Errorf("get EBS encryption by default in %s: %w", region, err)
		}
		return aws.ToBool(out.EbsEncryptionByDefault), nil
	})
}

// defaultKeyRef returns the account's default EBS key reference as EC2 gives it.
func (s *session) defaultKeyRef(region string) (string, error) {
	if ref, known := s.defAtEvent(region); known {
		return ref, nil
	}
	return remember(s, "defaultkey/"+s.account+"/"+region, setting, func() (string, error) {
		c, err := s.ec2(region)
		if err != nil {
			return "", err
		}
		out, err := c.GetEbsDefaultKmsKeyId(s.ctx, &ec2.GetEbsDefaultKmsKeyIdInput{})
		if err != nil {
			return "", fmt.Errorf("get EBS default KMS key in %s: %w", region, err)
		}
		if id := aws.ToString(out.KmsKeyId); id != "" {
			return id, nil
		}
		return rules.AWSManagedAlias, nil
	})
}
