package localrun_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/internal/localrun"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// Scenarios of the tally whose events are built here rather than read from
// events/samples (issue 16, "Deliver" item 2): situations no hand-written
// sample holds, because they are too large to keep as a file, or because
// the world has to grow between two deliveries of one event.

// snsLimit is SNS's limit on a message: its body and its attributes.
const snsLimit = 256 * 1024

// generated is the events of a generated scenario, and what each must end as.
type generated struct {
	samples []localrun.Sample
	// duplicates, when set, are what the duplicate delivery of each sample
	// sees (the same event against a world that has grown since).
	duplicates []localrun.Sample
	// want is, per sample, what the topic must receive over all of its
	// deliveries (the oracle the fault-free run is for the stored samples),
	// written from the spec.
	want []expected
}

const samplesDir = "../../events/samples/"

// loadSample reads one stored sample: its event and a world of its own,
// which the caller may change.
func loadSample(name string) (localrun.Sample, error) {
	s, err := localrun.LoadSamples(samplesDir+name, "")
	if err != nil {
		return localrun.Sample{}, err
	}
	if len(s) != 1 {
		return localrun.Sample{}, fmt.Errorf("sample %s: %d events, want 1", name, len(s))
	}
	w, err := world.Load(samplesDir + name + "/world.json")
	if err != nil {
		return localrun.Sample{}, err
	}
	s[0].World = w
	return s[0], nil
}

// oversizeInstances is the launch's instance count: its notice lists every
// instance, far over SNS's 256 KB (about 380 instances suffice, issue 16
// break 4), while the event stays under EventBridge's 256 KB.
const oversizeInstances = 1000

// oversizeNotice: a RunInstances of 1,000 instances whose block device
// mapping names a key alias that does not exist (alias/gone). The world has
// every instance's volume. The verdict is an error (the intended key cannot
// be resolved: key-not-found), listing every instance: it must be published
// once, cut to fit SNS's limit, and never fail the function into Lambda's
// retries and the dead-letter queue.
func oversizeNotice() (generated, error) {
	s, err := loadSample("launch-key")
	if err != nil {
		return generated{}, err
	}
	var ev map[string]any
	if err := json.Unmarshal(s.Event, &ev); err != nil {
		return generated{}, err
	}
	detail := ev["detail"].(map[string]any)
	ev["id"] = "00001016-e5e5-4e5e-8e5e-000000000000"
	detail["eventID"] = "00001016-0000-4000-8000-ebs9a0000000"
	req := detail["requestParameters"].(map[string]any)
	item := req["instancesSet"].(map[string]any)["items"].([]any)[0].(map[string]any)
	item["minCount"], item["maxCount"] = oversizeInstances, oversizeInstances
	bdm := req["blockDeviceMapping"].(map[string]any)["items"].([]any)[0].(map[string]any)
	bdm["ebs"].(map[string]any)["kmsKeyId"] = "alias/gone"
	resp := detail["responseElements"].(map[string]any)
	proto := resp["instancesSet"].(map[string]any)["items"].([]any)[0].(map[string]any)
	region := s.World.Accounts["222222222222"]["us-east-1"]
	template := region.Volumes[0]
	region.Volumes = nil
	items := make([]any, oversizeInstances)
	for n := range oversizeInstances {
		id := fmt.Sprintf("i-0b11%013x", n+1)
		inst := map[string]any{}
		for k, v := range proto {
			inst[k] = v
		}
		inst["instanceId"], inst["amiLaunchIndex"] = id, n
		items[n] = inst
		vol := template
		vol.VolumeId = aws.String(fmt.Sprintf("vol-0c20%013x", n+1))
		vol.Attachments = []ec2types.VolumeAttachment{{InstanceId: aws.String(id), Device: aws.String("/dev/xvda"),
			VolumeId: vol.VolumeId, State: ec2types.VolumeAttachmentStateAttached}}
		region.Volumes = append(region.Volumes, vol)
	}
	resp["instancesSet"].(map[string]any)["items"] = items
	if s.Event, err = json.Marshal(ev); err != nil {
		return generated{}, err
	}
	if len(s.Event) > snsLimit {
		return generated{}, fmt.Errorf("oversize-notice: the event is %d bytes, over EventBridge's 256 KB", len(s.Event))
	}
	s.Name = "generated/oversize-notice"
	return generated{samples: []localrun.Sample{s}, want: []expected{{notices: []string{"key-not-found"}}}}, nil
}

// duplicateMoreResults: the launch-pending sample (2 instances launched from
// an AMI encrypted with a customer key) whose first instance's volume is on
// the AWS managed key (KEY_MISMATCH and DEFAULT_KEY_FALLBACK) and whose
// second instance's volume is not listed while the first delivery and its
// re-checks run: they publish the first volume's findings, then, at the
// deadline, a still-pending notice. The event is then delivered again,
// and by now the second volume (also on aws/ebs) is listed: the second look
// sees more results than the first and must publish only the second
// volume's findings. localaws restarts between the two runs (and a world's
// "later" clock with it), so the grown world is the duplicate's own.
func duplicateMoreResults() (generated, error) {
	var g generated
	for _, volumes := range [][]string{{"a1"}, {"a1", "a2"}} {
		s, err := loadSample("launch-pending")
		if err != nil {
			return g, err
		}
		region := s.World.Accounts["222222222222"]["us-east-1"]
		for _, n := range volumes {
			instance, volume := "i-0b1100000000000"+n, "vol-0b1100000000000"+n
			region.Volumes = append(region.Volumes, ec2types.Volume{
				VolumeId: aws.String(volume), Encrypted: aws.Bool(true), SnapshotId: aws.String("snap-0a22000000000000b"),
				KmsKeyId: aws.String("arn:aws:kms:us-east-1:222222222222:key/0b0e0000-0000-4000-8000-00000000ebs1"),
				State:    ec2types.VolumeStateInUse, Size: aws.Int32(8), AvailabilityZone: aws.String("us-east-1a"),
				Attachments: []ec2types.VolumeAttachment{{InstanceId: aws.String(instance), Device: aws.String("/dev/xvda"),
					VolumeId: aws.String(volume), State: ec2types.VolumeAttachmentStateAttached, DeleteOnTermination: aws.Bool(true)}},
			})
		}
		s.Name = "generated/duplicate-more-results"
		if g.samples == nil {
			g.samples = []localrun.Sample{s}
		} else {
			g.duplicates = []localrun.Sample{s}
		}
	}
	var want expected
	for _, vol := range []string{"vol-0b1100000000000a1", "vol-0b1100000000000a2"} {
		for _, code := range []string{"KEY_MISMATCH", "DEFAULT_KEY_FALLBACK"} {
			want.findings = append(want.findings, vol+" "+code)
		}
	}
	want.notices = []string{"still-pending"}
	g.want = []expected{want}
	return g, nil
}

// checkNotices: over all of an event's deliveries the topic received
// exactly `notices` operational notices and `violations` violations, and
// every message is within SNS's limit (the local topic does not enforce it).
func checkNotices(e eventReport, notices, violations int) []string {
	var problems []string
	n, v := 0, 0
	all := slices2(e.Deliveries, e.Retries, e.Duplicate)
	for _, d := range all {
		for _, x := range d.Notes {
			size := len(x.Message)
			for k, val := range x.MessageAttributes {
				size += len(k) + len(val)
			}
			if size > snsLimit {
				problems = append(problems, fmt.Sprintf("a %s message of %d bytes, over SNS's %d", x.MessageAttributes["status"], size, snsLimit))
			}
			switch x.MessageAttributes["status"] {
			case verify.StatusError:
				n++
			case verify.StatusViolation:
				v++
			}
		}
	}
	if n != notices || v != violations {
		var seen []string
		for _, d := range all {
			for _, raw := range d.Verdicts {
				x := verdictOf(raw)
				seen = append(seen, fmt.Sprintf("attempt %d: %s %s (%d findings)", d.Attempt, x.Status, x.Reason, len(x.Findings)))
			}
			if d.FunctionError || d.Err != "" {
				seen = append(seen, fmt.Sprintf("attempt %d: failed %s", d.Attempt, d.Err))
			}
		}
		problems = append(problems, fmt.Sprintf("%d notices and %d violations published; want %d and %d (verdicts: %v)", n, v, notices, violations, seen))
	}
	return problems
}

func slices2(first []delivery, more [][]delivery, last []delivery) []delivery {
	out := append([]delivery{}, first...)
	for _, m := range more {
		out = append(out, m...)
	}
	return append(out, last...)
}

// summary describes a generated event's deliveries for the test's log: each
// verdict logged and each message published, with their sizes.
func summary(e eventReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", e.Name)
	for _, d := range slices2(e.Deliveries, e.Retries, e.Duplicate) {
		for _, raw := range d.Verdicts {
			x := verdictOf(raw)
			fmt.Fprintf(&b, "\n  attempt %d: verdict %s %q, %d findings, %d bytes", d.Attempt, x.Status, x.Reason, len(x.Findings), len(raw))
		}
		for _, n := range d.Notes {
			fmt.Fprintf(&b, "\n  attempt %d: published %s (error=%q), %d bytes, %d findings", d.Attempt, n.MessageAttributes["status"],
				n.MessageAttributes["error"], len(n.Message), len(verdictOf(json.RawMessage(n.Message)).Findings))
		}
	}
	return b.String()
}
