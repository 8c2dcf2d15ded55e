package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/internal/localaws"
	ctdecoder "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/world"
)

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// auditWorld: two member accounts in two Regions each, with n CopyImage and
// n RunInstances records per account and Region, one minute apart; the
// central account manages the organization.
func auditWorld(t *testing.T, n int) *world.World {
	t.Helper()
	accounts := map[string]map[string]any{}
	for _, acct := range []string{"222222222222", "333333333333"} {
		accounts[acct] = map[string]any{}
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			var events []map[string]any
			for i := range 2 * n {
				events = append(events, map[string]any{
					"eventID": fmt.Sprintf("%s-%s-%03d", acct, region, i), "eventName": []string{"CopyImage", "RunInstances"}[i%2],
					"eventSource": "ec2.amazonaws.com", "awsRegion": region, "recipientAccountId": acct,
					"eventTime":    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
					"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::" + acct + ":assumed-role/ci/build", "accountId": acct},
				})
			}
			accounts[acct][region] = map[string]any{"events": events}
		}
	}
	accounts[central] = map[string]any{"us-east-1": map[string]any{}}
	doc := map[string]any{"accounts": accounts, "organization": map[string]any{
		"id": "o-abc123", "managementAccountId": central,
		"accounts": []map[string]any{{"Id": central, "Name": "security", "Status": "ACTIVE"},
			{"Id": "222222222222", "Name": "build", "Status": "ACTIVE", "JoinedTimestamp": "2025-01-02T03:04:05Z"},
			{"Id": "333333333333", "Name": "prod", "Status": "ACTIVE"}},
	}}
	b, _ := json.Marshal(doc)
	w, err := world.Parse(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// An audit's calls through the real SDK: per account and Region, one
// LookupEvents pagination per event name, each CloudTrailEvent a record the
// decoder reads, newest first.
func TestLookupEventsThroughSDK(t *testing.T) {
	s := start(t)
	s.SetWorld(auditWorld(t, 60))
	for _, acct := range []string{"222222222222", "333333333333"} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			t.Run(acct+"/"+region, func(t *testing.T) {
				cfg := sdkConfigAs(t, s.URL(), acct)
				cfg.Region = region
				ct := cloudtrail.NewFromConfig(cfg)
				for _, name := range []string{"CopyImage", "RunInstances"} {
					p := cloudtrail.NewLookupEventsPaginator(ct, &cloudtrail.LookupEventsInput{
						LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
						StartTime:        aws.Time(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)),
					})
					var got []cttypes.Event
					pages := 0
					for p.HasMorePages() {
						out, err := p.NextPage(context.Background())
						if err != nil {
							t.Fatal(err)
						}
						pages++
						got = append(got, out.Events...)
					}
					if len(got) != 60 || pages != 2 {
						t.Fatalf("%s: %d events in %d pages; want 60 in 2", name, len(got), pages)
					}
					for i, e := range got {
						items := ctdecode(aws.ToString(e.CloudTrailEvent))
						if items.EventName != name || items.Account != acct || items.EventID != aws.ToString(e.EventId) {
							t.Fatalf("event %d: CloudTrailEvent %+v; want %s in %s", i, items, name, acct)
						}
						if i > 0 && e.EventTime.After(*got[i-1].EventTime) {
							t.Fatalf("event %d newer than the one before", i)
						}
						if aws.ToString(e.Username) != "build" {
							t.Fatalf("Username %q; want the session name", aws.ToString(e.Username))
						}
					}
				}
			})
		}
	}
	t.Run("errors", func(t *testing.T) {
		ct := cloudtrail.NewFromConfig(sdkConfigAs(t, s.URL(), "222222222222"))
		for _, tc := range []struct {
			in   *cloudtrail.LookupEventsInput
			want string
		}{
			{&cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
			{&cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
				{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CopyImage")},
				{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("ec2.amazonaws.com")}}}, "InvalidLookupAttributesException"},
			{&cloudtrail.LookupEventsInput{StartTime: aws.Time(time.Now()), EndTime: aws.Time(time.Now().Add(-time.Hour))}, "InvalidTimeRangeException"},
		} {
			if _, err := ct.LookupEvents(context.Background(), tc.in); errCode(err) != tc.want {
				t.Errorf("error %v; want %s", err, tc.want)
			}
		}
	})
}

type ctRecord struct{ EventName, EventID, Account string }

func ctdecode(s string) ctRecord {
	items := ctdecoder.DecodeAll([]byte(s))
	if len(items) != 1 || items[0].Record == nil {
		return ctRecord{}
	}
	r := items[0].Record
	return ctRecord{EventName: string(r.EventName), EventID: string(r.EventID), Account: r.Account()}
}

// CloudTrail allows two LookupEvents a second per account and Region: with
// the limit enforced, a burst is throttled (ThrottlingException, which the
// SDK retries), other Regions are not, and an injected throttle fault is
// answered the same way.
func TestLookupEventsThrottling(t *testing.T) {
	s := localaws.New(auditWorld(t, 1), central)
	s.LookupEventsPerSecond = world.CloudTrailLookupEventsPerSecond
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	noRetry := func(o *cloudtrail.Options) { o.Retryer = aws.NopRetryer{} }
	cfg := sdkConfigAs(t, s.URL(), "222222222222")
	ct := cloudtrail.NewFromConfig(cfg, noRetry)
	var throttled int
	for range 5 {
		if _, err := ct.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{}); errCode(err) == "ThrottlingException" {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled < 3 {
		t.Errorf("%d of 5 immediate calls throttled; want at least 3 (2 a second allowed)", throttled)
	}
	cfg.Region = "eu-west-1"
	if _, err := cloudtrail.NewFromConfig(cfg, noRetry).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{}); err != nil {
		t.Errorf("another Region throttled: %v", err)
	}
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(&smithy.GenericAPIError{Code: "ThrottlingException"}).Bool() {
		t.Error("the SDK does not take ThrottlingException for throttling")
	}

	// An injected fault, retried by the standard retryer.
	s2 := start(t)
	s2.SetWorld(auditWorld(t, 1))
	s2.Inject(localaws.Fault{API: "LookupEvents", Kind: "throttle", Count: 2})
	out, err := cloudtrail.NewFromConfig(sdkConfigAs(t, s2.URL(), "222222222222")).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	if err != nil || len(out.Events) != 2 || s2.Counts()["LookupEvents"] != 3 {
		t.Errorf("after two throttles: %v, %d calls", err, s2.Counts()["LookupEvents"])
	}
}

func TestListAccountsThroughSDK(t *testing.T) {
	s := start(t)
	s.SetWorld(auditWorld(t, 1))
	org := organizations.NewFromConfig(sdkConfig(t, s.URL()))
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	var ids []string
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
			if aws.ToString(a.Id) == "222222222222" && (a.JoinedTimestamp == nil || a.JoinedTimestamp.Year() != 2025 || aws.ToString(a.Name) != "build") {
				t.Errorf("account %+v", a)
			}
		}
	}
	if strings.Join(ids, ",") != central+",222222222222,333333333333" {
		t.Errorf("accounts %v", ids)
	}
	if _, err := organizations.NewFromConfig(sdkConfigAs(t, s.URL(), "222222222222")).ListAccounts(context.Background(), &organizations.ListAccountsInput{}); errCode(err) != "AccessDeniedException" {
		t.Errorf("a member account: %v; want AccessDeniedException", err)
	}
	s.SetWorld(&world.World{})
	if _, err := org.ListAccounts(context.Background(), &organizations.ListAccountsInput{}); errCode(err) != "AWSOrganizationsNotInUseException" {
		t.Errorf("no organization: %v; want AWSOrganizationsNotInUseException", err)
	}
}

func TestDescribeRegionsThroughSDK(t *testing.T) {
	s := start(t)
	s.SetWorld(auditWorld(t, 1))
	out, err := ec2.NewFromConfig(sdkConfigAs(t, s.URL(), "333333333333")).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Regions {
		got = append(got, aws.ToString(r.RegionName)+"="+aws.ToString(r.OptInStatus))
	}
	if strings.Join(got, ",") != "eu-west-1=opt-in-not-required,us-east-1=opt-in-not-required" {
		t.Errorf("regions %v", got)
	}
}
