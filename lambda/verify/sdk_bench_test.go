package verify_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

func BenchmarkInProcessCall(b *testing.B) {
	w, _ := load(b, "launch-encrypted-shared")
	c, _ := w.EC2(context.Background(), "222222222222", "us-east-1")
	sc := verify.SDKEC2(c, "us-east-1")
	in := &ec2.GetEbsEncryptionByDefaultInput{}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			c.GetEbsEncryptionByDefault(context.Background(), in)
		}
	})
	b.Run("sdk-client-reused", func(b *testing.B) {
		for b.Loop() {
			sc.GetEbsEncryptionByDefault(context.Background(), in)
		}
	})
	b.Run("sdk-client-new", func(b *testing.B) {
		for b.Loop() {
			verify.SDKEC2(c, "us-east-1").GetEbsEncryptionByDefault(context.Background(), in)
		}
	})
}
