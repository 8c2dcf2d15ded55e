package accounts

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An account or Region that is not well formed never reaches STS or an ARN.
func TestRejectsMalformedIdentity(t *testing.T) {
	p := New(aws.Config{Region: "us-east-1"}, "")
	for _, c := range [][2]string{{"12345", "us-east-1"}, {"222222222222", "us-east-1;rm"}, {"222222222222", ""}} {
		if _, err := p.EC2(context.Background(), c[0], c[1]); err == nil {
			t.Errorf("EC2(%q, %q): no error", c[0], c[1])
		}
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		if got := partition(region); got != want {
			t.Errorf("partition(%s) = %s; want %s", region, got, want)
		}
	}
}
