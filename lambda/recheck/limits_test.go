package recheck

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// launchEvent is a RunInstances event of n instances, padded with tags to
// about size bytes: EventBridge delivers at most 256 KB.
func launchEvent(n, size int) []byte {
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"instanceId":"i-%017x","imageId":"ami-0a2200000000000bb","instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-10-0-%d-%d.ec2.internal","amiLaunchIndex":%d,"instanceType":"t3.micro","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{}}`, i, i/250, i%250, i))
	}
	ev := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"222222222222","detail":{"eventVersion":"1.09","eventTime":"2026-11-20T10:04:11Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","recipientAccountId":"222222222222","requestParameters":{"instancesSet":{"items":[{"minCount":` + fmt.Sprint(n) + `,"maxCount":` + fmt.Sprint(n) + `,"imageId":"ami-0a2200000000000bb"}]},"tagSpecificationSet":{"items":[TAGS]}},"responseElements":{"instancesSet":{"items":[` + strings.Join(items, ",") + `]}}}}`
	var tags []string
	for len(ev)+len(strings.Join(tags, ",")) < size-300 {
		tags = append(tags, fmt.Sprintf(`{"key":"team-%d","value":"%s"}`, len(tags), strings.Repeat("v", 200)))
	}
	return []byte(strings.Replace(ev, "TAGS", strings.Join(tags, ","), 1))
}

// Break 5: whatever the launch's size up to the largest event, the re-check
// message fits in SQS (the record compressed, no list of published
// findings), and Parse gives back the same record.
func TestRecheckMessageFitsSQS(t *testing.T) {
	for _, n := range []int{1, 100, 1000} {
		ev := launchEvent(n, 256<<10)
		if n == 1000 && len(ev) > 256<<10 {
			ev = launchEvent(n, 0)
		}
		m := Message{Record: ev, Attempt: 7, FirstSeen: time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC), Account: "222222222222"}
		body, err := m.Encode()
		if err != nil {
			t.Fatalf("%d instances, %d bytes: %v", n, len(ev), err)
		}
		if len(body) > 256<<10 {
			t.Errorf("%d instances: message of %d bytes", n, len(body))
		}
		back, err := Parse(body)
		if err != nil || string(back.Record) != string(ev) || back.Account != m.Account || back.Attempt != 7 {
			t.Errorf("%d instances: Parse = %v; want the same message", n, err)
		}
	}
}

// A record that cannot be compressed enough is ErrTooLarge (the handler
// makes it a notice), never a send that fails for ever.
func TestIncompressibleRecordIsTooLarge(t *testing.T) {
	noise := make([]byte, 250<<10)
	rand.Read(noise)
	rec := []byte(`{"eventName":"RunInstances","x":"` + base64.StdEncoding.EncodeToString(noise) + `"}`)
	_, err := Message{Record: rec, Attempt: 1, FirstSeen: time.Now(), Account: "1"}.Encode()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode = %v; want ErrTooLarge", err)
	}
}
