package main

// The deterministic simulation of the pipeline (docs/guarantees.md): one
// seed generates a scenario (a launch of 1 to many instances whose volumes
// appear at once, late, never, or vanish; EventBridge duplicates; faults of
// SNS, SQS, DynamoDB, Security Hub and EC2; tampered queue messages), runs
// the real Handler against models of the services on a fake clock until
// nothing is left to do, and checks the invariants against the same
// scenario run without faults (the oracle). A failing seed prints the
// command that replays it.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awssecurityhub "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/delivery"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/recheck"
	"github.com/ebsguard/ebsguard/lambda/securityhub"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

var (
	simSeeds = flag.Int("sim.seeds", 2000, "number of simulation seeds (make soak SEEDS=N)")
	simSeed  = flag.Uint64("sim.seed", 0, "replay one simulation seed")
	simFirst = flag.Uint64("sim.first", 1, "first simulation seed")
)

// regressionSeeds once failed; they run first, every time.
var regressionSeeds = []uint64{
	173, // a delay cut to the deadline under one second went to SQS as 0 s: a burst of re-checks (fixed by rounding up)
}

// Limits the models enforce (the services' documented maxima).
const (
	simSNSLimit        = 256 << 10
	simSQSLimit        = 256 << 10
	simSQSMaxDelay     = 15 * time.Minute
	simVisibility      = 6 * time.Minute // deployment.RecheckVisibilitySec
	simMaxReceives     = 5               // deployment.RecheckMaxReceiveCount
	simBatchSize       = 5
	simHubPerCall      = 100
	simHubFindingBytes = 240 * 1000
	simHubCallBytes    = 6 * 1000 * 1000
)

// scenario is what a seed generates.
type scenario struct {
	seed      uint64
	instances int
	vols      []simVol
	// deliveries are the EventBridge deliveries of the one event (the first
	// at 0; more are duplicates), as offsets from the event's time.
	deliveries []time.Duration
	deadline   time.Duration
	hub        bool
	faults     faults
	tampered   []string // how each tampered message is made
}

type simVol struct {
	instance, volume string
	bad              bool          // on the AWS managed key: two findings
	appear           time.Duration // -1: never
	vanish           time.Duration // 0: never
}

type faults struct {
	sns, sqsSend, ledger, ec2, hub float64 // probability that one call fails
	hubOutage                      bool    // every import fails
	sqsDuplicate                   float64 // probability a received message is delivered again
}

func generate(seed uint64) scenario {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	s := scenario{seed: seed}
	switch r.IntN(25) {
	case 0:
		s.instances = 20 + r.IntN(60) // large launches, now and then (make soak: larger)
	default:
		s.instances = 1 + r.IntN(5)
	}
	s.deadline = []time.Duration{20 * time.Minute, 45 * time.Minute, time.Hour, 2 * time.Hour}[r.IntN(4)]
	switch {
	case s.instances > 20:
		s.deadline = 30 * time.Minute // a large launch's re-checks few
	case r.IntN(60) == 0:
		s.deadline = 49 * time.Hour // the default, with its 200 re-checks
		s.instances = min(s.instances, 2)
	}
	for i := range s.instances {
		v := simVol{instance: fmt.Sprintf("i-%017x", i+1), volume: fmt.Sprintf("vol-%017x", i+1), bad: r.IntN(2) == 0}
		switch r.IntN(6) {
		case 0, 1, 2:
			v.appear = 0
		case 3:
			v.appear = time.Duration(r.Int64N(int64(4 * time.Minute))) // a launch's volumes show within minutes, or never (verify's goneAfter)
		case 4:
			v.appear = -1 // the instance was terminated before its volume was listed
		case 5:
			v.appear, v.vanish = 0, s.deadline/2+time.Duration(r.Int64N(int64(s.deadline/2)))
		}
		s.vols = append(s.vols, v)
	}
	s.deliveries = []time.Duration{time.Duration(r.IntN(120)) * time.Second}
	for range r.IntN(3) { // EventBridge delivers at least once
		s.deliveries = append(s.deliveries, s.deliveries[0]+time.Duration(r.IntN(3600))*time.Second)
	}
	s.hub = r.IntN(2) == 0
	p := func() float64 { return []float64{0, 0, 0.05, 0.2, 0.5}[r.IntN(5)] }
	s.faults = faults{sns: p(), sqsSend: p(), ledger: p(), ec2: p(), hub: p(), sqsDuplicate: p(), hubOutage: r.IntN(8) == 0}
	for range r.IntN(3) {
		s.tampered = append(s.tampered, []string{"garbage", "future", "attempt", "account", "before-event", "no-account"}[r.IntN(6)])
	}
	return s
}

// outcome is what a run produced, for the invariants.
type outcome struct {
	findings     map[string]int // "resource code" -> publications
	notices      map[string]int // reason kind -> publications
	rejected     int            // notices of tampered messages
	deadLetters  []string       // event IDs in a dead-letter queue
	lastActivity time.Time
	firstSeen    time.Time
	violations   []string // limits broken, as they happened
}

// simSNS models the topic: messages over 256 KB are refused.
type simSNS struct {
	r    *rand.Rand
	p    float64
	out  *outcome
	sent []*sns.PublishInput
}

func (s *simSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	size := len(aws.ToString(in.Message)) + len(aws.ToString(in.Subject))
	for name, a := range in.MessageAttributes {
		size += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue))
	}
	if size > simSNSLimit {
		s.out.violations = append(s.out.violations, fmt.Sprintf("SNS message of %d bytes", size))
		return nil, &smithy.GenericAPIError{Code: "InvalidParameter", Message: "Message too long", Fault: smithy.FaultClient}
	}
	if s.r.Float64() < s.p {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultServer}
	}
	s.sent = append(s.sent, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprintf("sns-%d", len(s.sent)))}, nil
}

// simMessage is one message in the SQS model.
type simMessage struct {
	id        string
	body      string
	visibleAt time.Time
	receives  int
	eventID   string
}

// simSQS models the re-check queue: delays up to 15 minutes, bodies up to
// 256 KB, at-least-once delivery, visibility timeout and a dead-letter queue
// after simMaxReceives receives.
type simSQS struct {
	r     *rand.Rand
	p     float64
	dup   float64
	now   *time.Time
	out   *outcome
	msgs  []*simMessage
	next  int
	deads []*simMessage
}

func (q *simSQS) Send(_ context.Context, m recheck.Message, delay time.Duration) error {
	body, err := m.Encode()
	if err != nil {
		return err
	}
	if len(body) > simSQSLimit {
		q.out.violations = append(q.out.violations, fmt.Sprintf("SQS message of %d bytes", len(body)))
	}
	if delay < time.Second {
		// SQS counts DelaySeconds in whole seconds: a shorter delay is none,
		// and a chain of them re-checks in a burst.
		q.out.violations = append(q.out.violations, fmt.Sprintf("re-check %d sent with a delay of %s, under SQS's one-second unit", m.Attempt, delay))
	}
	if delay > simSQSMaxDelay || delay < 0 {
		q.out.violations = append(q.out.violations, fmt.Sprintf("SQS delay %s", delay))
	}
	if q.r.Float64() < q.p {
		return &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "try again", Fault: smithy.FaultServer}
	}
	// SQS takes the delay in whole seconds (DelaySeconds), as recheck.Queue sends it.
	q.push(body, *q.now, delay.Truncate(time.Second))
	return nil
}

func (q *simSQS) push(body string, now time.Time, delay time.Duration) {
	q.next++
	q.msgs = append(q.msgs, &simMessage{id: fmt.Sprintf("sqs-%d", q.next), body: body, visibleAt: now.Add(delay)})
}

// simLedger is the Memory ledger whose calls fail on command.
type simLedger struct {
	*delivery.Memory
	r *rand.Rand
	p float64
}

func (l *simLedger) Claim(ctx context.Context, keys []delivery.Key) (delivery.Claim, error) {
	if l.r.Float64() < l.p {
		return delivery.Claim{}, &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Fault: smithy.FaultServer}
	}
	return l.Memory.Claim(ctx, keys)
}

// simHub models BatchImportFindings with its limits.
type simHub struct {
	r      *rand.Rand
	p      float64
	outage bool
	out    *outcome
}

func (h *simHub) BatchImportFindings(_ context.Context, in *awssecurityhub.BatchImportFindingsInput, _ ...func(*awssecurityhub.Options)) (*awssecurityhub.BatchImportFindingsOutput, error) {
	total := 0
	for _, f := range in.Findings {
		b, _ := json.Marshal(f)
		if len(b) > simHubFindingBytes {
			h.out.violations = append(h.out.violations, fmt.Sprintf("Security Hub finding of %d bytes", len(b)))
		}
		total += len(b)
	}
	if len(in.Findings) > simHubPerCall || total > simHubCallBytes {
		h.out.violations = append(h.out.violations, fmt.Sprintf("Security Hub batch of %d findings, %d bytes", len(in.Findings), total))
	}
	if h.outage {
		return nil, &smithy.GenericAPIError{Code: "InvalidAccessException", Message: "Account is not subscribed to AWS Security Hub", Fault: smithy.FaultClient}
	}
	if h.r.Float64() < h.p {
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultServer}
	}
	return &awssecurityhub.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(len(in.Findings))), FailedCount: aws.Int32(0)}, nil
}

// simClients is the world, whose EC2 lookups fail on command.
type simClients struct {
	w *world.World
	r *rand.Rand
	p float64
}

func (c *simClients) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	if c.r.Float64() < c.p {
		return nil, &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Fault: smithy.FaultServer}
	}
	return c.w.EC2(ctx, account, region)
}

func (c *simClients) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	return c.w.KMS(ctx, account, region)
}

var simBase struct {
	event map[string]any
	world []byte
}

func loadSimBase(t *testing.T) {
	if simBase.world != nil {
		return
	}
	dir := samples + "launch-pending"
	if err := json.Unmarshal(event(t, dir), &simBase.event); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/world.json")
	if err != nil {
		t.Fatal(err)
	}
	simBase.world = b
}

// launch is the scenario's EventBridge event: the sample's RunInstances with
// the scenario's instances.
func (s scenario) launch(t *testing.T) []byte {
	ev := simBase.event
	detail := ev["detail"].(map[string]any)
	resp := detail["responseElements"].(map[string]any)
	set := resp["instancesSet"].(map[string]any)
	template := set["items"].([]any)[0].(map[string]any)
	var items []any
	for i, v := range s.vols {
		it := map[string]any{}
		for k, x := range template {
			it[k] = x
		}
		it["instanceId"], it["amiLaunchIndex"] = v.instance, i
		items = append(items, it)
	}
	set["items"] = items
	req := detail["requestParameters"].(map[string]any)["instancesSet"].(map[string]any)["items"].([]any)[0].(map[string]any)
	req["minCount"], req["maxCount"] = s.instances, s.instances
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const simEventID = "00000030-0000-4000-8000-ebs9a0000000"

// run plays the scenario, with its faults or without, to quiescence.
func (s scenario) run(t *testing.T, withFaults bool) outcome {
	f := s.faults
	if !withFaults {
		f = faults{}
	}
	r := rand.New(rand.NewPCG(s.seed, 0xfa17))
	out := outcome{findings: map[string]int{}, notices: map[string]int{}}
	w, err := world.Parse(bytes.NewReader(simBase.world))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 10, 4, 11, 0, time.UTC)
	now := t0
	region := w.Accounts["222222222222"]["us-east-1"]
	ebsKey := "arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1"
	ownKey := "arn:aws:kms:us-east-1:222222222222:key/a0a00000-0000-4000-8000-000000000006"
	applyWorld := func() {
		region.Volumes = region.Volumes[:0]
		for _, v := range s.vols {
			at := now.Sub(t0)
			if v.appear < 0 || at < v.appear || (v.vanish > 0 && at >= v.vanish) {
				continue
			}
			key := ownKey
			if v.bad {
				key = ebsKey
			}
			region.Volumes = append(region.Volumes, ec2types.Volume{VolumeId: aws.String(v.volume), Encrypted: aws.Bool(true),
				KmsKeyId: aws.String(key), SnapshotId: aws.String("snap-0a22000000000000b"), State: ec2types.VolumeStateInUse,
				Attachments: []ec2types.VolumeAttachment{{InstanceId: aws.String(v.instance), Device: aws.String("/dev/xvda"),
					VolumeId: aws.String(v.volume), State: ec2types.VolumeAttachmentStateAttached}}})
		}
	}
	topic := &simSNS{r: r, p: f.sns, out: &out}
	queue := &simSQS{r: r, p: f.sqsSend, dup: f.sqsDuplicate, now: &now, out: &out}
	var logs bytes.Buffer
	clock := func() time.Time { return now }
	h := &Handler{
		engine:    verify.New(verify.Config{Clients: &simClients{w: w, r: r, p: f.ec2}, Now: clock}),
		publisher: notifyFor(topic),
		queue:     queue,
		ledger:    &simLedger{Memory: delivery.NewMemory(deliveryLease, clock), r: r, p: f.ledger},
		schedule:  recheck.Schedule{Backoff: recheck.DefaultSchedule.Backoff, Deadline: s.deadline},
		log:       slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: simLogLevel()})),
		now:       clock,
		sleep:     func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
	}
	if s.hub {
		h.hub = &hub{importer: securityhub.NewImporter(&simHub{r: r, p: f.hub, outage: f.hubOutage && withFaults, out: &out}, securityhub.WithAttempts(1)),
			sts: &fakeCaller{}, region: "us-east-1", now: clock}
	}
	ev := s.launch(t)

	// Lambda's asynchronous invocations: each EventBridge delivery, retried
	// twice (after 1 and 2 minutes), then dead-lettered.
	type invocation struct {
		at    time.Time
		tries int
	}
	var invokes []invocation
	for _, d := range s.deliveries {
		invokes = append(invokes, invocation{at: t0.Add(d)})
		if !withFaults {
			break
		}
	}
	tampered := slices.Clone(s.tampered)
	if !withFaults {
		tampered = nil
	}
	horizon := t0.Add(s.deadline + 48*time.Hour)
	for steps := 0; ; steps++ {
		// The next thing due: an invocation or visible messages.
		next, which := time.Time{}, ""
		for _, in := range invokes {
			if which == "" || in.at.Before(next) {
				next, which = in.at, "invoke"
			}
		}
		for _, m := range queue.msgs {
			if which == "" || m.visibleAt.Before(next) {
				next, which = m.visibleAt, "sqs"
			}
		}
		if which == "" {
			break
		}
		if next.After(horizon) || steps > 100000 {
			out.violations = append(out.violations, fmt.Sprintf("not quiescent by %s", horizon.Sub(t0)))
			break
		}
		if next.After(now) {
			now = next
		}
		applyWorld()
		out.lastActivity = now
		if which == "invoke" {
			i := 0
			for j, in := range invokes {
				if in.at.Equal(next) {
					i = j
					break
				}
			}
			in := invokes[i]
			invokes = slices.Delete(invokes, i, i+1)
			if out.firstSeen.IsZero() {
				out.firstSeen = now
			}
			_, err := h.Handle(context.Background(), ev)
			now = now.Add(handlingTime(r))
			if err != nil {
				if in.tries < 2 {
					invokes = append(invokes, invocation{at: now.Add(time.Duration(in.tries+1) * time.Minute), tries: in.tries + 1})
				} else {
					out.deadLetters = append(out.deadLetters, simEventID)
				}
			}
			// A tampered message arrives alongside the first delivery.
			if len(tampered) > 0 {
				genuine, err := recheck.Message{Record: ev, Attempt: 1, FirstSeen: now, Account: "222222222222"}.Encode()
				if err != nil {
					t.Fatal(err)
				}
				for _, how := range tampered {
					queue.push(tamper(genuine, how, now), now, time.Duration(r.IntN(600))*time.Second)
				}
				tampered = nil
			}
			continue
		}
		// A batch of the visible messages, as the event source mapping polls.
		var batch []*simMessage
		for _, m := range queue.msgs {
			if !m.visibleAt.After(now) && len(batch) < simBatchSize {
				batch = append(batch, m)
			}
		}
		var sev events.SQSEvent
		for _, m := range batch {
			m.receives++
			sev.Records = append(sev.Records, events.SQSMessage{MessageId: m.id, Body: m.body, EventSource: "aws:sqs"})
		}
		payload, _ := json.Marshal(sev)
		resp, err := h.Handle(context.Background(), payload)
		now = now.Add(handlingTime(r))
		failed := map[string]bool{}
		if err != nil {
			for _, m := range batch {
				failed[m.id] = true
			}
		} else if resp != nil {
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
		}
		for _, m := range batch {
			switch {
			case failed[m.id] && m.receives >= simMaxReceives:
				queue.remove(m)
				queue.deads = append(queue.deads, m)
				out.deadLetters = append(out.deadLetters, simEventID)
			case failed[m.id]:
				m.visibleAt = now.Add(simVisibility)
			case r.Float64() < queue.dup:
				m.visibleAt = now.Add(simVisibility) // at-least-once: delivered again
				m.receives = 0
				queue.dup = 0 // once per run, so that the run ends
			default:
				queue.remove(m)
			}
		}
	}
	if os.Getenv("SIM_DEBUG") != "" {
		t.Logf("run (faults %v):\n%s", withFaults, logs.String())
	}
	for _, in := range topic.sent {
		var structured map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &structured); err != nil {
			t.Fatal(err)
		}
		body, _ := splitDedupeKeys(t, structured["default"])
		var v verify.Verdict
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Status == verify.StatusViolation:
			for _, fd := range v.Findings {
				out.findings[fd.Resource+" "+fd.Code]++
			}
		case strings.HasPrefix(v.Reason, "invalid re-check message"):
			out.rejected++
		default:
			kind, _, _ := strings.Cut(v.Reason, ":")
			out.notices[kind]++
			if kind == "still-pending" {
				var never []string
				for _, r := range v.Resources {
					never = append(never, r.Parent)
				}
				out.notices["still-pending "+strings.Join(never, ",")]++
			}
		}
	}
	return out
}

func (q *simSQS) remove(m *simMessage) {
	q.msgs = slices.DeleteFunc(q.msgs, func(x *simMessage) bool { return x == m })
}

// tamper makes a message the function did not write from one it did.
func tamper(body, how string, now time.Time) string {
	m, err := recheck.Parse(body)
	if err != nil {
		return "{"
	}
	switch how {
	case "garbage":
		return `{"recordGzip":"!!!","attempt":1}`
	case "future":
		m.FirstSeen = now.Add(24 * time.Hour)
	case "attempt":
		m.Attempt = 1 << 62
	case "account":
		m.Account = "333333333333"
	case "before-event":
		m.FirstSeen = now.Add(-30 * 24 * time.Hour)
	case "no-account":
		m.Account = ""
	}
	b, err := m.Encode()
	if err != nil {
		return "{"
	}
	return b
}

// check compares a run with faults to the fault-free oracle.
func (s scenario) check(oracle, got outcome) []string {
	var bad []string
	bad = append(bad, got.violations...)
	for _, v := range oracle.violations {
		bad = append(bad, "fault-free: "+v)
	}
	dead := len(got.deadLetters) > 0
	// Delivery: every finding of the oracle exactly once (at most once for a
	// record that went to a dead-letter queue, where an alarm fires), and
	// nothing else.
	keys := map[string]bool{}
	for k := range oracle.findings {
		keys[k] = true
	}
	for k := range got.findings {
		keys[k] = true
	}
	for k := range keys {
		want, n := oracle.findings[k], got.findings[k]
		if want != 1 {
			bad = append(bad, fmt.Sprintf("fault-free run published %s %d times", k, want))
		}
		switch {
		case n > 1:
			bad = append(bad, fmt.Sprintf("%s published %d times", k, n))
		case n == 0 && !dead:
			bad = append(bad, fmt.Sprintf("%s never published, and nothing dead-lettered", k))
		case want == 0 && n > 0:
			bad = append(bad, fmt.Sprintf("%s published, but not by the fault-free run", k))
		}
	}
	// Notices: each of the oracle's at most once, and present unless dead-lettered.
	for k, n := range oracle.notices {
		if n != 1 {
			bad = append(bad, fmt.Sprintf("fault-free run: notice %q %d times", k, n))
		}
		if got.notices[k] > 1 {
			bad = append(bad, fmt.Sprintf("notice %q %d times", k, got.notices[k]))
		}
		if got.notices[k] == 0 && !dead && !strings.HasPrefix(k, "still-pending") {
			bad = append(bad, fmt.Sprintf("notice %q missing", k))
		}
	}
	// Termination: the oracle within the deadline plus one backoff step;
	// with faults, plus the redeliveries a dead letter needs.
	limit := oracle.firstSeen.Add(s.deadline + simSQSMaxDelay + time.Minute)
	if oracle.lastActivity.After(limit) {
		bad = append(bad, fmt.Sprintf("fault-free run active %s after first sight; deadline %s", oracle.lastActivity.Sub(oracle.firstSeen), s.deadline))
	}
	lastDelivery := slices.Max(s.deliveries) - s.deliveries[0]
	limit = got.firstSeen.Add(lastDelivery + s.deadline + simSQSMaxDelay + simMaxReceives*simVisibility + 4*time.Minute)
	if got.lastActivity.After(limit) {
		bad = append(bad, fmt.Sprintf("active %s after first sight; deadline %s", got.lastActivity.Sub(got.firstSeen), s.deadline))
	}
	// Tampered messages: never evaluated; one notice per event and class
	// (each message also logs its own RecheckRejected metric).
	// A garbage body names no event: its notice is its message's own.
	want := 0
	for _, how := range s.tampered {
		if how == "garbage" {
			want++
		}
	}
	if want < len(s.tampered) {
		want++
	}
	if got.rejected != want && !dead {
		bad = append(bad, fmt.Sprintf("%d tampered messages %v, %d notices; want %d", len(s.tampered), s.tampered, got.rejected, want))
	}
	// A never-seen volume with the deadline passed is named in a notice.
	return bad
}

func TestSimulation(t *testing.T) {
	loadSimBase(t)
	seeds := slices.Clone(regressionSeeds)
	switch {
	case *simSeed != 0:
		seeds = []uint64{*simSeed}
	default:
		n := *simSeeds
		if testing.Short() || raceEnabled {
			n = min(n, 200)
		}
		for i := range uint64(n) {
			seeds = append(seeds, *simFirst+i)
		}
	}
	failed := 0
	for _, seed := range seeds {
		s := generate(seed)
		oracle := s.run(t, false)
		got := s.run(t, true)
		if bad := s.check(oracle, got); len(bad) > 0 {
			failed++
			sort.Strings(bad)
			t.Errorf("seed %d (%d instances, deadline %s, faults %+v, tampered %v): %s\n  replay: go test ./lambda/handler -run 'TestSimulation$' -sim.seed=%d -v",
				seed, s.instances, s.deadline, s.faults, s.tampered, strings.Join(bad, "; "), seed)
			if failed >= 5 {
				t.Fatal("stopping after 5 failing seeds")
			}
		}
	}
	if *simSeed != 0 {
		s := generate(*simSeed)
		t.Logf("seed %d: %+v", *simSeed, s)
	}
}

func notifyFor(topic notify.SNSAPI) Publisher {
	return notify.New(topic, "arn:aws:sns:us-east-1:111111111111:ebsguard")
}

// simLogLevel keeps the simulation's logs to errors, or all with SIM_DEBUG.
func simLogLevel() slog.Level {
	if os.Getenv("SIM_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelError
}

// handlingTime is how long one invocation takes: the clock is never left on
// whole seconds, as a real one is not (a deadline cut to a fraction of a
// second must still end the chain).
func handlingTime(r *rand.Rand) time.Duration {
	return time.Duration(r.Int64N(int64(1500 * time.Millisecond)))
}
