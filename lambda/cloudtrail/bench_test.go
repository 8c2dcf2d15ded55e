package cloudtrail_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// noiseRecord is a record of another event, about 1.3 KB like the bulk of a
// real trail.
func noiseRecord(i int) string {
	names := []string{"DescribeInstances", "AssumeRole", "GetObject", "PutObject", "Decrypt", "ListBuckets", "GenerateDataKey", "DescribeVolumes"}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE%06d:session-%d","arn":"arn:aws:sts::222222222222:assumed-role/app-role-%d/session-%d","accountId":"222222222222","accessKeyId":"ASIAEXAMPLE%08d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE%06d","arn":"arn:aws:iam::222222222222:role/app-role-%d","accountId":"222222222222","userName":"app-role-%d"},"attributes":{"creationDate":"2026-11-20T09:12:44Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-20T10:%02d:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"10.0.%d.%d","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.172.0","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0%015x"}]},"filterSet":{},"maxResults":1000},"responseElements":null,"requestID":"%08x-1111-4222-8333-%012x","eventID":"%08x-aaaa-4bbb-8ccc-%012x","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"222222222222","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"}}`,
		i, i, i%40, i, i, i, i%40, i%40, i/60%60, i%60, names[i%len(names)], i%250, i%200, i, i, i, i, i)
}

func noiseLog(n int) []byte {
	recs := make([]string, n)
	for i := range recs {
		recs[i] = noiseRecord(i)
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// BenchmarkDecodeScope is replay's fast path: a log file of records of other
// events, passed over.
func BenchmarkDecodeScope(b *testing.B) {
	in := noiseLog(5000)
	for _, tt := range []struct {
		name  string
		in    []byte
		scope bool
	}{
		{"scoped", in, true},
		{"scoped-gzip", gz(in), true},
		{"full", in, false},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				d, _ := cloudtrail.NewDecoder(bytes.NewReader(tt.in))
				if tt.scope {
					d.Scope([]string{"CopyImage", "RunInstances"})
				}
				for {
					if _, ok := d.Next(); !ok {
						break
					}
				}
			}
		})
	}
}
