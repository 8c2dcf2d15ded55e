package noticewindow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Publisher publishes a verdict to every destination (the topic, the bus).
type Publisher interface {
	Publish(ctx context.Context, v verify.Verdict) (string, error)
}

// SQSAPI is the part of SQS the aggregator calls: it schedules a window's
// close on the re-check queue.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ SQSAPI = (*sqs.Client)(nil)

// Classes are the error classes aggregated: those a whole account or Region
// shares until a person fixes it. A re-check past its deadline, a record
// that cannot be read or a resource not found are each about one record,
// and are published one by one.
var Classes = []string{
	string(verify.ClassReaderRole), string(verify.ClassAccessDenied), string(verify.ClassKeyNotFound), string(verify.ClassLookupFailed),
	// Sent as lookup-failed before errors had classes: still aggregated.
	string(verify.ClassThrottled), string(verify.ClassUnavailable), string(verify.ClassInternal),
}

// maxDelay is SQS's longest message delay: a longer wait is made of several.
const maxDelay = 15 * time.Minute

// closeSlack lets the window's last events land before it closes.
const closeSlack = 5 * time.Second

// maxStoredResources bounds the first event's verdict as stored: a notice
// about a launch of hundreds of instances keeps its first resources.
const maxStoredResources = 20

// Aggregator is the Publisher that holds the notices of the aggregated
// classes for their window, and passes everything else on.
type Aggregator struct {
	next     Publisher
	table    *Table
	sqs      SQSAPI
	queueURL string
	classes  map[string]bool
	now      func() time.Time
	log      *slog.Logger
}

// NewAggregator returns an aggregator in front of next; closes travel
// through the queue at queueURL (the re-check queue).
func NewAggregator(next Publisher, table *Table, client SQSAPI, queueURL string, now func() time.Time, log *slog.Logger) *Aggregator {
	classes := map[string]bool{}
	for _, c := range Classes {
		classes[c] = true
	}
	return &Aggregator{next: next, table: table, sqs: client, queueURL: queueURL, classes: classes, now: now, log: log}
}

// Publish implements Publisher. An aggregated notice is counted in its
// window and returns an empty message ID: the window's close publishes it.
func (a *Aggregator) Publish(ctx context.Context, v verify.Verdict) (string, error) {
	class := ""
	if v.Status == verify.StatusError {
		class = notify.ErrorClass(v)
	}
	if !a.classes[class] {
		return a.next.Publish(ctx, v)
	}
	k := Key{Account: v.Account, Region: v.Region, Class: class}
	stored := v
	if len(stored.Resources) > maxStoredResources {
		stored.Resources = stored.Resources[:maxStoredResources]
		stored.Warnings = append(stored.Warnings, fmt.Sprintf("%d of %d resources shown", maxStoredResources, len(v.Resources)))
	}
	notice, err := stored.JSON()
	if err != nil {
		return "", err
	}
	st, err := a.table.Note(ctx, k, v.EventID, notice, a.now())
	if errors.Is(err, ErrClosed) {
		// Its window's notice went out already: this one goes alone.
		return a.next.Publish(ctx, v)
	}
	if err != nil {
		return "", err
	}
	if st.Repeated {
		a.log.Info("notice counted before in its window: a repeated delivery", "eventID", v.EventID, "class", class,
			"account", v.Account, "region", v.Region, "windowStart", st.Start)
	}
	if !st.Scheduled {
		// The window's first event (or a retry of it, or a concurrent
		// first) schedules the close; Close is once-only, so two closes
		// queued publish one notice.
		if err := a.schedule(ctx, k, st.Start, st.End); err != nil {
			return "", err
		}
		if err := a.table.Scheduled(ctx, k, st.Start, a.now()); err != nil {
			return "", err
		}
	}
	a.log.Info("notice held for its window", "eventID", v.EventID, "class", class, "account", v.Account, "region", v.Region,
		"windowStart", st.Start, "windowEnd", st.End, "count", st.Count)
	return "", nil
}

// closeMessage is the body of a window's close on the re-check queue.
type closeMessage struct {
	Window *closeWindow `json:"noticeWindow"`
}

type closeWindow struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Class   string    `json:"class"`
	Start   time.Time `json:"start"`
}

// schedule queues the window's close for its end (or, for a window longer
// than SQS's longest delay, a step towards it).
func (a *Aggregator) schedule(ctx context.Context, k Key, start, end time.Time) error {
	body, err := json.Marshal(closeMessage{Window: &closeWindow{Account: k.Account, Region: k.Region, Class: k.Class, Start: start}})
	if err != nil {
		return err
	}
	delay := min(max(end.Sub(a.now())+closeSlack, 0), maxDelay)
	_, err = a.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(a.queueURL), MessageBody: aws.String(string(body)), DelaySeconds: int32(delay / time.Second),
	})
	if err != nil {
		return fmt.Errorf("schedule the close of the %s window of %s: %w", k, start.Format(time.RFC3339), err)
	}
	return nil
}

// IsClose reports whether a re-check queue message is a window's close.
func IsClose(body string) bool {
	var m closeMessage
	return json.Unmarshal([]byte(body), &m) == nil && m.Window != nil
}

// HandleClose handles a window's close message: before the window's end it
// waits again; at its end it publishes the window's notice, once, with the
// count and the first and last event IDs. An error means the message is to
// be delivered again.
func (a *Aggregator) HandleClose(ctx context.Context, body string) error {
	var m closeMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Window == nil {
		return fmt.Errorf("not a notice window close: %.100q", body)
	}
	k := Key{Account: m.Window.Account, Region: m.Window.Region, Class: m.Window.Class}
	start := m.Window.Start.UTC()
	end := start.Add(a.table.Window())
	now := a.now()
	if now.Before(end) {
		return a.schedule(ctx, k, start, end)
	}
	st, ok, err := a.table.Close(ctx, k, start, now)
	if err != nil || !ok {
		return err
	}
	var v verify.Verdict
	if err := json.Unmarshal(st.Notice, &v); err != nil {
		return fmt.Errorf("the %s window of %s holds no readable notice: %w", k, start.Format(time.RFC3339), err)
	}
	v = Summarize(v, st)
	id, err := a.next.Publish(ctx, v)
	if err != nil {
		// Open it again so that the redelivered close publishes it.
		if rerr := a.table.Reopen(ctx, k, start); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	a.log.Warn("not evaluated: aggregated notice", "eventID", v.EventID, "class", k.Class, "account", k.Account, "region", k.Region,
		"count", st.Count, "firstEventID", st.FirstEventID, "lastEventID", st.LastEventID, "messageId", id)
	return nil
}

// Summarize is the notice of a window: the first event's notice, saying how
// many events it stands for.
func Summarize(v verify.Verdict, st State) verify.Verdict {
	if st.Count <= 1 {
		return v
	}
	v.Warnings = append(v.Warnings, fmt.Sprintf(
		"This notice stands for %d events with the same problem in account %s, Region %s between %s and %s: first event ID %s, last event ID %s. "+
			"Each is in the function's log (message \"evaluated\"); fix the cause once, then replay them.",
		st.Count, printable.String(st.Account), printable.String(st.Region), st.FirstSeen.Format(time.RFC3339), st.LastSeen.Format(time.RFC3339),
		printable.String(st.FirstEventID), printable.String(st.LastEventID)))
	return v
}
