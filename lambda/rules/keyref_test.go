package rules_test

import (
	"errors"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/rules"
)

func TestParseKeyRef(t *testing.T) {
	tests := []struct {
		in      string
		want    rules.KeyRef
		mrk     bool
		wantErr bool
	}{
		{in: "1234abcd-12ab-34cd-56ef-1234567890ab", want: rules.KeyRef{Kind: rules.KeyID, Name: "1234abcd-12ab-34cd-56ef-1234567890ab"}},
		{in: "mrk-1234abcd12ab34cd56ef1234567890ab", want: rules.KeyRef{Kind: rules.KeyID, Name: "mrk-1234abcd12ab34cd56ef1234567890ab"}, mrk: true},
		{in: "arn:aws:kms:us-east-1:111111111111:key/1234", want: rules.KeyRef{Kind: rules.KeyARN, Partition: "aws", Region: "us-east-1", Account: "111111111111", Name: "1234"}},
		{in: "arn:aws-cn:kms:cn-north-1:111111111111:key/mrk-9", want: rules.KeyRef{Kind: rules.KeyARN, Partition: "aws-cn", Region: "cn-north-1", Account: "111111111111", Name: "mrk-9"}, mrk: true},
		{in: "alias/aws/ebs", want: rules.KeyRef{Kind: rules.AliasName, Name: "alias/aws/ebs"}},
		{in: " alias/web ", want: rules.KeyRef{Kind: rules.AliasName, Name: "alias/web"}},
		{in: "arn:aws:kms:eu-west-1:222222222222:alias/golden", want: rules.KeyRef{Kind: rules.AliasARN, Partition: "aws", Region: "eu-west-1", Account: "222222222222", Name: "alias/golden"}},
		{in: "", wantErr: true},
		{in: "alias/", wantErr: true},
		{in: "arn:aws:s3:::bucket", wantErr: true},
		{in: "arn:aws:kms:us-east-1:111111111111:grant/1", wantErr: true},
		{in: "key/123", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := rules.ParseKeyRef(tt.in)
			if tt.wantErr {
				if !errors.Is(err, rules.ErrBadKeyRef) {
					t.Errorf("ParseKeyRef(%q) error = %v; want ErrBadKeyRef", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseKeyRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if got.MultiRegion() != tt.mrk {
				t.Errorf("ParseKeyRef(%q).MultiRegion() = %v; want %v", tt.in, got.MultiRegion(), tt.mrk)
			}
			if s, _ := rules.ParseKeyRef(got.String()); s != got {
				t.Errorf("String() %q does not parse back to %+v", got.String(), got)
			}
		})
	}
	r, _ := rules.ParseKeyRef("arn:aws:kms:us-east-1:111111111111:key/mrk-1")
	if got := r.InRegion("eu-west-1").String(); got != "arn:aws:kms:eu-west-1:111111111111:key/mrk-1" {
		t.Errorf("InRegion = %q", got)
	}
}
