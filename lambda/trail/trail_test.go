package trail

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
)

// history is a fake event history: events by name, newest first, paged as
// LookupEvents pages them, recording every call.
type history struct {
	events map[string][]cttypes.Event
	calls  []cloudtrail.LookupEventsInput
	fail   map[int]error // call index -> error
}

func (h *history) LookupEvents(_ context.Context, in *cloudtrail.LookupEventsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	h.calls = append(h.calls, *in)
	if err := h.fail[len(h.calls)-1]; err != nil {
		return nil, err
	}
	if len(in.LookupAttributes) != 1 || in.LookupAttributes[0].AttributeKey != cttypes.LookupAttributeKeyEventName {
		return nil, fmt.Errorf("want one EventName lookup attribute, got %+v", in.LookupAttributes)
	}
	all := h.events[aws.ToString(in.LookupAttributes[0].AttributeValue)]
	size := int(aws.ToInt32(in.MaxResults))
	if size < 1 || size > MaxResults {
		return nil, fmt.Errorf("MaxResults %d out of range", size)
	}
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	to := min(from+size, len(all))
	out := &cloudtrail.LookupEventsOutput{Events: all[from:to]}
	if to < len(all) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func event(id, name, record string) cttypes.Event {
	e := cttypes.Event{EventId: aws.String(id), EventName: aws.String(name)}
	if record != "" {
		e.CloudTrailEvent = aws.String(record)
	}
	return e
}

func record(id, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","eventID":%q,"eventName":%q,"eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","recipientAccountId":"222222222222","eventTime":"2026-11-20T10:04:11Z"}`, id, name)
}

func TestRead(t *testing.T) {
	var copies []cttypes.Event
	for i := range 120 {
		id := fmt.Sprintf("copy-%03d", i)
		copies = append(copies, event(id, "CopyImage", record(id, "CopyImage")))
	}
	h := &history{events: map[string][]cttypes.Event{
		"CopyImage": copies,
		"RunInstances": {
			event("run-1", "RunInstances", record("run-1", "RunInstances")),
			event("run-2", "RunInstances", `{"eventName": "RunInstances", "eventID": "run-2", `), // cut short
			event("run-3", "RunInstances", ""),
			event("run-1", "RunInstances", record("run-1", "RunInstances")), // listed again
		},
	}}
	start, end := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	q := Query{EventNames: []string{"RunInstances", "CopyImage", "CreateVolume"}, Start: start, End: end}
	var got []ct.Item
	n, err := Read(context.Background(), h, q, func(it ct.Item) error { got = append(got, it); return nil })
	if err != nil {
		t.Fatal(err)
	}
	// RunInstances: 1 page; CopyImage: 50 + 50 + 20; CreateVolume: 1 empty page.
	if n.Calls != 5 || len(h.calls) != 5 || n.Events != 123 || len(got) != 123 {
		t.Fatalf("counts %+v, %d calls, %d items; want 5 calls and 123 events", n, len(h.calls), len(got))
	}
	for i, c := range h.calls {
		if !c.StartTime.Equal(start) || !c.EndTime.Equal(end) || aws.ToInt32(c.MaxResults) != MaxResults {
			t.Errorf("call %d: StartTime %v, EndTime %v, MaxResults %d; want %v, %v, %d", i, c.StartTime, c.EndTime, aws.ToInt32(c.MaxResults), start, end, MaxResults)
		}
	}
	t.Run("decoded in listed order", func(t *testing.T) {
		if it := got[0]; it.Err != nil || string(it.Record.EventID) != "run-1" || it.Record.Account() != "222222222222" {
			t.Errorf("first item = %+v, %v", it.Record, it.Err)
		}
		for i, it := range got[3:] {
			if want := fmt.Sprintf("copy-%03d", i); it.Err != nil || string(it.Record.EventID) != want {
				t.Fatalf("item %d = %v, %v; want %s", i+3, it.Record, it.Err, want)
			}
		}
	})
	t.Run("unreadable records are error items named after their event", func(t *testing.T) {
		for i, want := range []string{"event run-2 (RunInstances): malformed", "event run-3 (RunInstances): LookupEvents gave no CloudTrailEvent"} {
			it := got[1+i]
			if it.Err == nil || !strings.HasPrefix(it.Err.Error(), want) {
				t.Errorf("item %d error = %v; want it to start with %q", 1+i, it.Err, want)
			}
			if it.Record == nil || string(it.Record.EventName) != "RunInstances" || !strings.HasPrefix(string(it.Record.EventID), "run-") {
				t.Errorf("item %d record = %+v; want it attributed to its event", 1+i, it.Record)
			}
		}
	})
}

func TestReadStops(t *testing.T) {
	events := map[string][]cttypes.Event{"CopyImage": {event("a", "CopyImage", record("a", "CopyImage")), event("b", "CopyImage", record("b", "CopyImage"))}}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	stop := errors.New("stop")
	tests := []struct {
		name      string
		fail      map[int]error
		yieldErr  error
		wantErr   error
		wantItems int
	}{
		{"a failed call", map[int]error{0: denied}, nil, denied, 0},
		{"yield", nil, stop, stop, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &history{events: events, fail: tt.fail}
			items := 0
			_, err := Read(context.Background(), h, Query{EventNames: []string{"CopyImage", "RunInstances"}}, func(ct.Item) error { items++; return tt.yieldErr })
			if !errors.Is(err, tt.wantErr) || items != tt.wantItems || len(h.calls) != 1 {
				t.Errorf("err %v, %d items, %d calls; want %v, %d items, 1 call", err, items, len(h.calls), tt.wantErr, tt.wantItems)
			}
		})
	}
}

// clock is a fake clock whose sleeps advance it.
type clock struct {
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) now() time.Time { return c.t }

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return nil
}

// stamped records when (on the fake clock) each call was made.
type stamped struct {
	c    *clock
	at   []time.Duration
	errs []error // returned in turn; nil after
	t0   time.Time
}

func (s *stamped) LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	s.at = append(s.at, s.c.t.Sub(s.t0))
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	return &cloudtrail.LookupEventsOutput{}, nil
}

func throttle() error {
	return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

func TestPacer(t *testing.T) {
	ctx := context.Background()
	t.Run("calls of one account and Region are spaced by Interval", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		a := &stamped{c: c, t0: c.t}
		api := p.Client(a, "222222222222", "eu-west-1")
		for range 4 {
			if _, err := api.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
				t.Fatal(err)
			}
		}
		want := []time.Duration{0, Interval, 2 * Interval, 3 * Interval}
		if fmt.Sprint(a.at) != fmt.Sprint(want) {
			t.Errorf("calls at %v; want %v", a.at, want)
		}
		if Interval*PerSecond <= time.Second {
			t.Errorf("Interval %v allows %d calls in less than a second", Interval, PerSecond)
		}
	})
	t.Run("other accounts and Regions have their own bucket", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		a := &stamped{c: c, t0: c.t}
		for _, target := range [][2]string{{"222222222222", "eu-west-1"}, {"222222222222", "us-east-1"}, {"333333333333", "eu-west-1"}} {
			if _, err := p.Client(a, target[0], target[1]).LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(a.at) != fmt.Sprint([]time.Duration{0, 0, 0}) {
			t.Errorf("calls at %v; want all at once", a.at)
		}
	})
	t.Run("a throttled call is made again after a growing backoff", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		a := &stamped{c: c, t0: c.t, errs: []error{throttle(), throttle(), throttle()}}
		if _, err := p.Client(a, "222222222222", "eu-west-1").LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, MinBackoff, 3 * MinBackoff, 7 * MinBackoff}
		if fmt.Sprint(a.at) != fmt.Sprint(want) || p.Throttled() != 3 {
			t.Errorf("calls at %v, %d throttled; want %v, 3", a.at, p.Throttled(), want)
		}
	})
	t.Run("throttled past MaxRetries is an error", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		var errs []error
		for range MaxRetries + 2 {
			errs = append(errs, throttle())
		}
		a := &stamped{c: c, t0: c.t, errs: errs}
		_, err := p.Client(a, "222222222222", "eu-west-1").LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
		if !Throttled(err) || !strings.Contains(err.Error(), "still throttled") || len(a.at) != MaxRetries+1 {
			t.Errorf("err %v after %d calls; want a throttling error after %d", err, len(a.at), MaxRetries+1)
		}
		if last := a.at[len(a.at)-1] - a.at[len(a.at)-2]; last != MaxBackoff {
			t.Errorf("last backoff %v; want it capped at %v", last, MaxBackoff)
		}
	})
	t.Run("other errors are returned at once", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		denied := &smithy.GenericAPIError{Code: "AccessDeniedException"}
		a := &stamped{c: c, t0: c.t, errs: []error{denied}}
		if _, err := p.Client(a, "222222222222", "eu-west-1").LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); !errors.Is(err, denied) || len(a.at) != 1 {
			t.Errorf("err %v after %d calls; want AccessDeniedException after 1", err, len(a.at))
		}
	})
	t.Run("a cancelled wait ends the call", func(t *testing.T) {
		c := &clock{t: time.Unix(1e9, 0)}
		p := NewPacer(WithClock(c.now, c.sleep))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		a := &stamped{c: c, t0: c.t}
		if _, err := p.Client(a, "222222222222", "eu-west-1").LookupEvents(cctx, &cloudtrail.LookupEventsInput{}); !errors.Is(err, context.Canceled) || len(a.at) != 0 {
			t.Errorf("err %v after %d calls; want context.Canceled before any call", err, len(a.at))
		}
	})
}

func TestThrottled(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"ThrottlingException", throttle(), true},
		{"wrapped", fmt.Errorf("look up: %w", throttle()), true},
		{"retry quota spent", fmt.Errorf("operation error: %w", ratelimit.QuotaExceededError{Available: 0, Requested: 5}), true},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{"invalid token", &smithy.GenericAPIError{Code: "UnrecognizedClientException"}, false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Throttled(tt.err); got != tt.want {
				t.Errorf("Throttled(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}
