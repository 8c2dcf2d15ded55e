package world

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// KMS answers DescribeKey from one account's view of one Region.
type KMS struct {
	world           *World
	account, region string
}

// DescribeKey resolves a key ID, key ARN, alias name or alias ARN through the
// keys the world lists for the calling account and Region, and, for an ARN,
// for the account and Region the ARN names. Anything else is NotFoundException.
func (c *KMS) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	ref := aws.ToString(in.KeyId)
	views := []*Region{c.world.view(c.account, c.region)}
	if parts := strings.SplitN(ref, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		views = append(views, c.world.view(parts[4], parts[3]))
	}
	for _, v := range views {
		for _, k := range v.Keys {
			if k.matches(ref) {
				md := k.KeyMetadata
				return &kms.DescribeKeyOutput{KeyMetadata: &md}, nil
			}
		}
	}
	return nil, &kmstypes.NotFoundException{Message: aws.String(fmt.Sprintf("Key '%s' does not exist", ref))}
}

func (k Key) matches(ref string) bool {
	arn := aws.ToString(k.Arn)
	if ref == aws.ToString(k.KeyId) || ref == arn {
		return true
	}
	for _, a := range k.Aliases {
		if !strings.HasPrefix(a, "alias/") {
			a = "alias/" + a // as the console shows it: "aws/ebs"
		}
		if ref == a {
			return true
		}
		// An alias ARN: the key's own account and Region, with the alias name.
		if i := strings.Index(arn, ":key/"); i > 0 && ref == arn[:i]+":"+a {
			return true
		}
	}
	return false
}

var _ verify.Clients = (*World)(nil)

// EC2 returns the EC2 view of an account and Region.
func (w *World) EC2(_ context.Context, account, region string) (verify.EC2API, error) {
	return w.EC2View(account, region), nil
}

// EC2View is EC2 with the concrete type, which also answers DescribeRegions.
func (w *World) EC2View(account, region string) *EC2 {
	v, _ := w.views.LoadOrStore([3]string{"ec2", account, region}, &EC2{world: w, account: account, region: region})
	return v.(*EC2)
}

// KMS returns the KMS view of an account and Region.
func (w *World) KMS(_ context.Context, account, region string) (verify.KMSAPI, error) {
	v, _ := w.views.LoadOrStore([3]string{"kms", account, region}, &KMS{world: w, account: account, region: region})
	return v.(*KMS), nil
}
