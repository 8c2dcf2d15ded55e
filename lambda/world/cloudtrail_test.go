package world_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// eventsWorld lists n records alternating CopyImage and RunInstances, one
// minute apart from 10:00, in an order that is not time order.
func eventsWorld(t *testing.T, n int) *world.World {
	t.Helper()
	var events []string
	for i := range n {
		name := []string{"CopyImage", "RunInstances"}[i%2]
		j := (i * 7) % n // shuffled
		events = append(events, fmt.Sprintf(`{"eventID":"e-%03d","eventName":%q,"eventSource":"ec2.amazonaws.com","eventTime":"2026-11-20T10:%02d:00Z",
			"readOnly":false,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/ci/build-%d","accessKeyId":"ASIA%d"}}`, j, name, j, j%2, j%3))
	}
	w, err := world.Parse(strings.NewReader(`{"accounts":{"222222222222":{"us-east-1":{"events":[` + strings.Join(events, ",") + `]},"eu-west-1":{}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestLookupEvents(t *testing.T) {
	w := eventsWorld(t, 60)
	ct := w.CloudTrail("222222222222", "us-east-1")
	ctx := context.Background()
	at := func(min int) *time.Time { return aws.Time(time.Date(2026, 11, 20, 10, min, 0, 0, time.UTC)) }
	all := func(in cloudtrail.LookupEventsInput) ([]cttypes.Event, int, error) {
		var out []cttypes.Event
		pages := 0
		for {
			o, err := ct.LookupEvents(ctx, &in)
			if err != nil {
				return out, pages, err
			}
			pages++
			out = append(out, o.Events...)
			if o.NextToken == nil {
				return out, pages, nil
			}
			in.NextToken = o.NextToken
		}
	}
	tests := []struct {
		name      string
		in        cloudtrail.LookupEventsInput
		wantN     int
		wantPages int
		wantFirst string
		wantErr   string
	}{
		{name: "all, 50 a page, newest first", wantN: 60, wantPages: 2, wantFirst: "e-059"},
		{name: "by event name", in: cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CopyImage")}}}, wantN: 30, wantPages: 1},
		{name: "by user name (the session)", in: cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("build-1")}}}, wantN: 30, wantPages: 1},
		{name: "by event ID", in: cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventId, AttributeValue: aws.String("e-007")}}}, wantN: 1, wantPages: 1, wantFirst: "e-007"},
		{name: "time range inclusive", in: cloudtrail.LookupEventsInput{StartTime: at(10), EndTime: at(19)}, wantN: 10, wantPages: 1, wantFirst: "e-019"},
		{name: "7 a page", in: cloudtrail.LookupEventsInput{MaxResults: aws.Int32(7)}, wantN: 60, wantPages: 9, wantFirst: "e-059"},
		{name: "insight events", in: cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight}, wantN: 0, wantPages: 1},
		{name: "two attributes", in: cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CopyImage")},
			{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("build-1")}}}, wantErr: "InvalidLookupAttributesException"},
		{name: "51 a page", in: cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, wantErr: "InvalidMaxResultsException"},
		{name: "0 a page", in: cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}, wantErr: "InvalidMaxResultsException"},
		{name: "start after end", in: cloudtrail.LookupEventsInput{StartTime: at(20), EndTime: at(10)}, wantErr: "InvalidTimeRangeException"},
		{name: "a token from nowhere", in: cloudtrail.LookupEventsInput{NextToken: aws.String("bm9wZQ")}, wantErr: "InvalidNextTokenException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, pages, err := all(tc.in)
			if code(err) != tc.wantErr || (tc.wantErr == "" && err != nil) {
				t.Fatalf("error %v; want %q", err, tc.wantErr)
			}
			if tc.wantErr != "" {
				return
			}
			if len(got) != tc.wantN || pages != tc.wantPages {
				t.Fatalf("%d events in %d pages; want %d in %d", len(got), pages, tc.wantN, tc.wantPages)
			}
			for i := 1; i < len(got); i++ {
				if got[i].EventTime.After(*got[i-1].EventTime) {
					t.Fatalf("event %d (%v) newer than event %d (%v)", i, got[i].EventTime, i-1, got[i-1].EventTime)
				}
			}
			if tc.wantFirst != "" && aws.ToString(got[0].EventId) != tc.wantFirst {
				t.Errorf("first %s; want %s", aws.ToString(got[0].EventId), tc.wantFirst)
			}
			for _, e := range got {
				var rec struct{ EventID, EventName string }
				if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil || rec.EventID != aws.ToString(e.EventId) || rec.EventName != aws.ToString(e.EventName) {
					t.Fatalf("CloudTrailEvent %q does not hold the event (%v)", aws.ToString(e.CloudTrailEvent), err)
				}
			}
		})
	}
	t.Run("a token with other parameters", func(t *testing.T) {
		first, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(5)})
		if err != nil || first.NextToken == nil {
			t.Fatalf("%v, %v", first, err)
		}
		_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(5), NextToken: first.NextToken,
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CopyImage")}}})
		if code(err) != "InvalidNextTokenException" {
			t.Errorf("error %v; want InvalidNextTokenException", err)
		}
	})
	t.Run("another Region has no events", func(t *testing.T) {
		out, err := w.CloudTrail("222222222222", "eu-west-1").LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
		if err != nil || len(out.Events) != 0 {
			t.Errorf("%+v, %v", out, err)
		}
	})
}

const orgDoc = `{"accounts":{"111111111111":{"us-east-1":{},"eu-west-1":{}}},
 "organization":{"id":"o-abc123","managementAccountId":"111111111111","delegatedAdministrators":["333333333333"],
  "accounts":[%s]}}`

func TestListAccounts(t *testing.T) {
	var accts []string
	for i := range 25 {
		accts = append(accts, fmt.Sprintf(`{"Id":"5000000000%02d","Name":"acct-%d","Email":"a%d@example.com","Status":"ACTIVE"}`, i, i, i))
	}
	accts[0] = `{"Id":"111111111111","Name":"management","Status":"ACTIVE"}`
	accts[1] = `{"Id":"333333333333","Name":"security","Status":"ACTIVE"}`
	accts[2] = `{"Id":"444444444444","Name":"member","Status":"ACTIVE"}`
	w, err := world.Parse(strings.NewReader(fmt.Sprintf(orgDoc, strings.Join(accts, ","))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		caller    string
		world     *world.World
		wantN     int
		wantPages int
		wantErr   string
	}{
		{caller: "111111111111", world: w, wantN: 25, wantPages: 2},
		{caller: "333333333333", world: w, wantN: 25, wantPages: 2},
		{caller: "444444444444", world: w, wantErr: "AccessDeniedException"},
		{caller: "999999999999", world: w, wantErr: "AWSOrganizationsNotInUseException"},
		{caller: "111111111111", world: &world.World{}, wantErr: "AWSOrganizationsNotInUseException"},
	}
	for _, tc := range tests {
		t.Run(tc.caller+"/"+tc.wantErr, func(t *testing.T) {
			o := tc.world.Organizations(tc.caller)
			var n, pages int
			var tok *string
			for {
				out, err := o.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: tok})
				if code(err) != tc.wantErr || (tc.wantErr == "" && err != nil) {
					t.Fatalf("error %v; want %q", err, tc.wantErr)
				}
				if err != nil {
					return
				}
				pages++
				n += len(out.Accounts)
				if len(out.Accounts) > world.OrganizationsMaxResults {
					t.Fatalf("page of %d", len(out.Accounts))
				}
				if !strings.HasPrefix(aws.ToString(out.Accounts[0].Arn), "arn:aws:organizations::111111111111:account/o-abc123/") {
					t.Fatalf("ARN %q", aws.ToString(out.Accounts[0].Arn))
				}
				if tok = out.NextToken; tok == nil {
					break
				}
			}
			if n != tc.wantN || pages != tc.wantPages {
				t.Errorf("%d accounts in %d pages; want %d in %d", n, pages, tc.wantN, tc.wantPages)
			}
		})
	}
	if _, err := w.Organizations("111111111111").ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)}); code(err) != "InvalidInputException" {
		t.Errorf("MaxResults 21: %v", err)
	}
}

func TestDescribeRegions(t *testing.T) {
	w := eventsWorld(t, 2)
	ctx := context.Background()
	names := func(in *ec2.DescribeRegionsInput) string {
		out, err := w.EC2View("222222222222", "us-east-1").DescribeRegions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range out.Regions {
			s = append(s, aws.ToString(r.RegionName)+":"+aws.ToString(r.OptInStatus))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		in   *ec2.DescribeRegionsInput
		want string
	}{
		{&ec2.DescribeRegionsInput{}, "eu-west-1:opt-in-not-required,us-east-1:opt-in-not-required"},
		{&ec2.DescribeRegionsInput{RegionNames: []string{"us-east-1", "ap-east-1"}}, "ap-east-1:not-opted-in,us-east-1:opt-in-not-required"},
		{&ec2.DescribeRegionsInput{Filters: []ec2types.Filter{filter("region-name", "eu-west-1")}}, "eu-west-1:opt-in-not-required"},
	} {
		if got := names(tc.in); got != tc.want {
			t.Errorf("DescribeRegions(%+v) = %s; want %s", tc.in, got, tc.want)
		}
	}
}
