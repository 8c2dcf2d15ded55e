package world

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Record keeps in the Region what an EC2 or KMS read answered (in and out are
// the call's typed input and output), so that this world answers the same
// read the same way: the inverse of the answers in ec2.go and kms.go, kept
// beside them. It reports whether it knows the output; `world capture`
// records every read through it (lambda/capture), and a test holds it to
// every read of verify.EC2API and verify.KMSAPI.
func (r *Region) Record(in, out any) bool {
	if r.decode() != nil { // a lazily held list that does not decode: nothing to keep it in
		return false
	}
	for _, l := range lists {
		if l.record(r, out) {
			r.index = nil // the indexes are built again on the next lookup
			return true
		}
	}
	switch o := out.(type) {
	case *ec2.GetEbsEncryptionByDefaultOutput:
		r.EBSEncryptionByDefault = aws.ToBool(o.EbsEncryptionByDefault)
	case *ec2.GetEbsDefaultKmsKeyIdOutput:
		r.EBSDefaultKMSKeyID = aws.ToString(o.KmsKeyId)
	case *kms.DescribeKeyOutput:
		// The key under the calling account and Region, where the world
		// resolves references, with the alias it was asked by: the world
		// resolves an alias name or alias ARN only through a key's Aliases.
		if o.KeyMetadata == nil {
			return true
		}
		alias := ""
		if in, ok := in.(*kms.DescribeKeyInput); ok {
			switch ref := aws.ToString(in.KeyId); {
			case strings.HasPrefix(ref, "alias/"):
				alias = ref
			case strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":alias/"):
				alias = ref[strings.Index(ref, ":alias/")+1:]
			}
		}
		i := slices.IndexFunc(r.Keys, func(x Key) bool { return aws.ToString(x.Arn) == aws.ToString(o.KeyMetadata.Arn) })
		if i < 0 {
			r.Keys = append(r.Keys, Key{})
			i = len(r.Keys) - 1
		}
		k := &r.Keys[i]
		k.KeyMetadata = *o.KeyMetadata
		if alias != "" && !slices.Contains(k.Aliases, alias) {
			k.Aliases = append(k.Aliases, alias)
		}
	default:
		return false
	}
	r.index = nil // the indexes are built again on the next lookup
	return true
}
