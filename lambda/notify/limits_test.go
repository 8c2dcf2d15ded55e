package notify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// snsLimit is SNS's maximum message size: the message, its subject and its
// attributes (names, types and values) together.
const snsLimit = 256 << 10

// bigVerdict is a launch of instances × volumes: every resource flagged
// with two findings, or none judged (a notice).
func bigVerdict(instances, volumes int, status string) verify.Verdict {
	v := verify.Verdict{EventID: "e-big", EventName: "RunInstances", EventTime: "2026-11-20T10:04:11Z", Account: "222222222222",
		Region: "us-east-1", Principal: "arn:aws:sts::222222222222:assumed-role/ci/" + strings.Repeat("p", 1900), Status: status,
		Resources: []verify.Resource{}, Findings: []verify.Finding{}}
	if status == verify.StatusError {
		v.Reason = "KMS key alias/deleted in us-east-1: not found " + strings.Repeat("x", 4000)
	}
	key := "arn:aws:kms:us-east-1:222222222222:key/a0a00000-0000-4000-8000-000000000006"
	for i := range instances {
		for d := range volumes {
			r := verify.Resource{Parent: fmt.Sprintf("i-%017x", i), Device: fmt.Sprintf("/dev/sd%c", 'f'+d), Source: "snap-0a22000000000000b",
				Rule: "launch/encrypted/owned", Expected: &verify.Expected{Encrypted: true, KMSKeyARN: key}, IntendedKeyARN: key, Findings: []string{}}
			if status == verify.StatusViolation {
				r.Resource = fmt.Sprintf("vol-%017x", i*volumes+d)
				r.Actual = &rules.State{Encrypted: false}
				r.Findings = []string{"UNENCRYPTED", "KEY_MISMATCH"}
				for _, c := range r.Findings {
					v.Findings = append(v.Findings, verify.Finding{Code: c, Severity: rules.High, Resource: r.Resource,
						Message: "volume " + r.Resource + " is not encrypted " + strings.Repeat("m", 300)})
				}
			}
			v.Resources = append(v.Resources, r)
		}
	}
	return v
}

func messageSize(t *testing.T, v verify.Verdict) int {
	t.Helper()
	in, err := Message("arn:aws:sns:us-east-1:111111111111:ebsguard", v)
	if err != nil {
		t.Fatalf("Message: %v", err)
	}
	n := len(aws.ToString(in.Message)) + len(aws.ToString(in.Subject))
	for name, a := range in.MessageAttributes {
		n += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue))
	}
	return n
}

// Breaks 4 and 5 (SNS side): for every size up to a launch of 1,000
// instances with 5 volumes each, an operational notice is one message
// within SNS's limit, and a violation is split into messages that are each
// within it and together hold every finding exactly once.
func TestMessagesWithinSNSLimit(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {2, 1}, {100, 2}, {380, 1}, {1000, 1}, {1000, 5}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			if (testing.Short() || raceEnabled) && size[0]*size[1] > 1000 {
				t.Skip("-short: the largest launch takes seconds")
			}
			notice := bigVerdict(size[0], size[1], verify.StatusError)
			if n := messageSize(t, notice); n > snsLimit {
				t.Errorf("notice of %d bytes; SNS takes %d", n, snsLimit)
			}
			v := bigVerdict(size[0], size[1], verify.StatusViolation)
			count := map[string]int{}
			for _, p := range Parts(v) {
				if n := messageSize(t, p); n > snsLimit {
					t.Errorf("part of %d bytes; SNS takes %d", n, snsLimit)
				}
				for _, f := range p.Findings {
					count[f.Resource+" "+f.Code]++
				}
			}
			if len(count) != len(v.Findings) {
				t.Errorf("parts hold %d distinct findings of %d", len(count), len(v.Findings))
			}
			for k, n := range count {
				if n != 1 {
					t.Errorf("%s in %d parts", k, n)
				}
			}
		})
	}
}
