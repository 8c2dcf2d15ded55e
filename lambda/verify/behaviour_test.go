package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// recorder wraps a world and records what every lookup was asked.
type recorder struct {
	*world.World
	mu    sync.Mutex
	asked []string // "API region: what"
}

func (r *recorder) note(api, region, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, api+" "+region+": "+what)
}

func (r *recorder) count(api string) int {
	n := 0
	for _, a := range r.asked {
		if strings.HasPrefix(a, api+" ") {
			n++
		}
	}
	return n
}

func (r *recorder) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	c, err := r.World.EC2(ctx, account, region)
	return &recordingEC2{EC2API: c, r: r, region: region}, err
}

func (r *recorder) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	c, err := r.World.KMS(ctx, account, region)
	return &recordingKMS{KMSAPI: c, r: r, region: region}, err
}

type recordingEC2 struct {
	verify.EC2API
	r      *recorder
	region string
}

func (c *recordingEC2) DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, o ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	c.r.note("DescribeImages", c.region, strings.Join(in.ImageIds, ","))
	return c.EC2API.DescribeImages(ctx, in, o...)
}

func (c *recordingEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, o ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	c.r.note("DescribeSnapshots", c.region, strings.Join(in.SnapshotIds, ","))
	return c.EC2API.DescribeSnapshots(ctx, in, o...)
}

func (c *recordingEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, o ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	what := strings.Join(in.VolumeIds, ",")
	for _, f := range in.Filters {
		what += aws.ToString(f.Name) + "=" + strings.Join(f.Values, ",")
	}
	c.r.note("DescribeVolumes", c.region, what)
	return c.EC2API.DescribeVolumes(ctx, in, o...)
}

func (c *recordingEC2) DescribeReplaceRootVolumeTasks(ctx context.Context, in *ec2.DescribeReplaceRootVolumeTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeReplaceRootVolumeTasksOutput, error) {
	what := strings.Join(in.ReplaceRootVolumeTaskIds, ",")
	for _, f := range in.Filters {
		what += aws.ToString(f.Name) + "=" + strings.Join(f.Values, ",")
	}
	c.r.note("DescribeReplaceRootVolumeTasks", c.region, what)
	return c.EC2API.DescribeReplaceRootVolumeTasks(ctx, in, o...)
}

func (c *recordingEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, o ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	c.r.note("DescribeInstances", c.region, strings.Join(in.InstanceIds, ","))
	return c.EC2API.DescribeInstances(ctx, in, o...)
}

func (c *recordingEC2) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, o ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	c.r.note("DescribeLaunchTemplateVersions", c.region, aws.ToString(in.LaunchTemplateId)+aws.ToString(in.LaunchTemplateName)+" "+strings.Join(in.Versions, ","))
	return c.EC2API.DescribeLaunchTemplateVersions(ctx, in, o...)
}

func (c *recordingEC2) GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, o ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error) {
	c.r.note("GetEbsEncryptionByDefault", c.region, "")
	return c.EC2API.GetEbsEncryptionByDefault(ctx, in, o...)
}

func (c *recordingEC2) GetEbsDefaultKmsKeyId(ctx context.Context, in *ec2.GetEbsDefaultKmsKeyIdInput, o ...func(*ec2.Options)) (*ec2.GetEbsDefaultKmsKeyIdOutput, error) {
	c.r.note("GetEbsDefaultKmsKeyId", c.region, "")
	return c.EC2API.GetEbsDefaultKmsKeyId(ctx, in, o...)
}

func (c *recordingEC2) DescribeImportSnapshotTasks(ctx context.Context, in *ec2.DescribeImportSnapshotTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeImportSnapshotTasksOutput, error) {
	c.r.note("DescribeImportSnapshotTasks", c.region, strings.Join(in.ImportTaskIds, ","))
	return c.EC2API.DescribeImportSnapshotTasks(ctx, in, o...)
}

func (c *recordingEC2) DescribeImportImageTasks(ctx context.Context, in *ec2.DescribeImportImageTasksInput, o ...func(*ec2.Options)) (*ec2.DescribeImportImageTasksOutput, error) {
	c.r.note("DescribeImportImageTasks", c.region, strings.Join(in.ImportTaskIds, ","))
	return c.EC2API.DescribeImportImageTasks(ctx, in, o...)
}

type recordingKMS struct {
	verify.KMSAPI
	r      *recorder
	region string
}

func (c *recordingKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, o ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	c.r.note("DescribeKey", c.region, aws.ToString(in.KeyId))
	return c.KMSAPI.DescribeKey(ctx, in, o...)
}

func region(w *world.World) *world.Region { return w.Accounts["222222222222"]["us-east-1"] }

// Every lookup asks for exactly what the record and the world name, once.
func TestLookupsAsked(t *testing.T) {
	w, it := load(t, "copy-encrypted-shared")
	r := &recorder{World: w}
	v := verify.New(verify.Config{Clients: r}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusViolation {
		t.Fatalf("status %s: %s", v.Status, v.Reason)
	}
	// The first copy of an AMI within its Region: both AMIs in one call,
	// then all their snapshots in one.
	want := []string{
		"DescribeImages us-east-1: ami-0a3300000000000cc,ami-0d1100000000000f1",
		"DescribeSnapshots us-east-1: snap-0a33000000000000c,snap-0e1600000000000f1",
		"GetEbsEncryptionByDefault us-east-1: ",
		"GetEbsDefaultKmsKeyId us-east-1: ",
		"DescribeKey us-east-1: alias/ebs-default",
		"DescribeKey us-east-1: alias/aws/ebs",
	}
	if !slices.Equal(r.asked, want) {
		t.Errorf("asked\n%s\nwant\n%s", strings.Join(r.asked, "\n"), strings.Join(want, "\n"))
	}
}

// A key is resolved only when the row being judged needs it: an unencrypted
// launch with encryption by default off needs no key at all, so a missing
// alias/aws/ebs cannot turn it into an error.
func TestKeysOnlyWhenNeeded(t *testing.T) {
	w, it := load(t, "launch-unencrypted-plain")
	region(w).Keys = nil
	r := &recorder{World: w}
	v := verify.New(verify.Config{Clients: r, Policy: verify.Policy{RequireEncryption: aws.Bool(false)}}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusCompliant || r.count("DescribeKey") != 0 {
		t.Errorf("status %s (%s) after %d DescribeKey calls; want compliant and none", v.Status, v.Reason, r.count("DescribeKey"))
	}
}

// AWS creates alias/aws/ebs on its first use in an account and Region: a
// "not found" is never cached, so the next event sees the key.
func TestKeyNotFoundIsNotCached(t *testing.T) {
	w, it := load(t, "launch-unencrypted-ebd")
	keys := region(w).Keys
	region(w).Keys = slices.DeleteFunc(slices.Clone(keys), func(k world.Key) bool { return slices.Contains(k.Aliases, "alias/aws/ebs") })
	e := verify.New(verify.Config{Clients: w, CacheTTL: time.Hour})
	v := e.Evaluate(context.Background(), it)
	if v.Status != verify.StatusError || len(v.Resources) != 1 || !strings.Contains(v.Resources[0].Error, "alias/aws/ebs") {
		t.Fatalf("without alias/aws/ebs: %s (%s), resources %+v; want the resource in error naming the key", v.Status, v.Reason, v.Resources)
	}
	region(w).Keys = keys
	if v = e.Evaluate(context.Background(), it); v.Status != verify.StatusCompliant {
		t.Errorf("once the key exists, within the cache's lifetime: %s (%s); want compliant", v.Status, v.Reason)
	}
}

// No finding on reused state: after the account's default key changed, the
// cached one would predict a false KEY_MISMATCH. The engine asks exactly the
// reused settings and keys again, and nothing else.
func TestRefreshBeforeFinding(t *testing.T) {
	w, it := load(t, "launch-unencrypted-ebd")
	r := &recorder{World: w}
	e := verify.New(verify.Config{Clients: r, CacheTTL: time.Hour})
	if v := e.Evaluate(context.Background(), it); v.Status != verify.StatusCompliant {
		t.Fatalf("first event: %s (%s)", v.Status, v.Reason)
	}
	// The account switches its default key to a customer managed key, and the
	// next launch's volume gets it.
	newKey := "arn:aws:kms:us-east-1:222222222222:key/5e770000-0000-4000-8000-00000000def2"
	reg := region(w)
	reg.Keys = append(reg.Keys, world.Key{KeyMetadata: kmstypes.KeyMetadata{KeyId: aws.String("5e770000-0000-4000-8000-00000000def2"), Arn: aws.String(newKey)}, Aliases: []string{"alias/new-default"}})
	reg.EBSDefaultKMSKeyID = "alias/new-default"
	for i := range reg.Volumes {
		reg.Volumes[i].KmsKeyId = aws.String(newKey)
	}
	before := len(r.asked)
	v := e.Evaluate(context.Background(), it)
	if v.Status != verify.StatusCompliant {
		t.Fatalf("after the default key changed: %s %+v; want compliant, judged on the refreshed default key", v.Status, v.Findings)
	}
	second := r.asked[before:]
	if n := slices.IndexFunc(second, func(a string) bool { return strings.HasPrefix(a, "GetEbsDefaultKmsKeyId") }); n < 0 {
		t.Errorf("the default key was not asked again: %v", second)
	}
	if got := r.count("DescribeVolumes"); got != 2 {
		t.Errorf("DescribeVolumes called %d times over two events; want 2 (results are not asked twice per event)", got)
	}
}

// A pending AMI copy that already lists its snapshots is judged on them: a
// snapshot carries its key from creation.
func TestPendingCopyJudgedOnListedSnapshots(t *testing.T) {
	w, it := load(t, "copy-pending")
	reg := region(w)
	awsManaged := ""
	for _, k := range reg.Keys {
		if slices.Contains(k.Aliases, "alias/aws/ebs") {
			awsManaged = aws.ToString(k.Arn)
		}
	}
	for i := range reg.Images {
		if aws.ToString(reg.Images[i].ImageId) == "ami-0d1100000000000f1" {
			reg.Images[i].BlockDeviceMappings = []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0e9900000000000f1")}}}
		}
	}
	reg.Snapshots = append(reg.Snapshots, ec2types.Snapshot{SnapshotId: aws.String("snap-0e9900000000000f1"), OwnerId: aws.String("222222222222"),
		State: ec2types.SnapshotStatePending, Encrypted: aws.Bool(true), KmsKeyId: aws.String(awsManaged)})
	v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusViolation || len(v.Findings) != 1 || v.Findings[0].Code != "DEFAULT_KEY_FALLBACK" || v.Findings[0].Severity != "high" {
		t.Errorf("pending copy listing a snapshot on aws/ebs: %s %+v; want DEFAULT_KEY_FALLBACK (high)", v.Status, v.Findings)
	}
}

// A copy whose AMI failed is skipped copy-failed; one deregistered, or not
// found on a re-check long after the call, is skipped image-gone. On a first
// look (and in replay) an AMI not found is only not visible yet.
func TestFailedAndGoneCopies(t *testing.T) {
	eventTime := time.Date(2026, 11, 20, 10, 4, 11, 0, time.UTC)
	tests := []struct {
		name  string
		state ec2types.ImageState // "" removes the image
		check verify.Check
		now   time.Time
		want  string
	}{
		{"failed", ec2types.ImageStateFailed, verify.Check{}, eventTime, "skipped copy-failed"},
		{"error", ec2types.ImageStateError, verify.Check{}, eventTime, "skipped copy-failed"},
		{"deregistered", ec2types.ImageStateDeregistered, verify.Check{}, eventTime, "skipped image-gone"},
		{"not found at the first look", "", verify.Check{}, eventTime.Add(time.Hour), "pending "},
		{"not found on a re-check soon after the call", "", verify.Check{Attempt: 1}, eventTime.Add(2 * time.Minute), "pending "},
		{"not found on a re-check long after the call", "", verify.Check{Attempt: 3}, eventTime.Add(time.Hour), "skipped image-gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, it := load(t, "copy-pending")
			reg := region(w)
			reg.Images = slices.DeleteFunc(reg.Images, func(img ec2types.Image) bool {
				if aws.ToString(img.ImageId) != "ami-0d1100000000000f1" {
					return false
				}
				return tt.state == ""
			})
			for i := range reg.Images {
				if aws.ToString(reg.Images[i].ImageId) == "ami-0d1100000000000f1" {
					reg.Images[i].State = tt.state
				}
			}
			v := verify.New(verify.Config{Clients: w, Now: func() time.Time { return tt.now }}).Recheck(context.Background(), it, tt.check)
			if got := v.Status + " " + v.Reason; got != tt.want {
				t.Errorf("verdict %q; want %q", got, tt.want)
			}
		})
	}
}

// One resource that cannot be judged carries its error; the others keep
// their findings, and the record is a violation (formats.md §4).
func TestOneResourceErrorKeepsTheOthersFindings(t *testing.T) {
	w, it := load(t, "launch-fleet-template-mismatch")
	reg := region(w)
	for i := range reg.Volumes {
		if aws.ToString(reg.Volumes[i].VolumeId) == "vol-0c3200000000000a2" {
			reg.Volumes[i].KmsKeyId = aws.String("alias/gone")
		}
	}
	v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusViolation || len(v.Resources) != 2 {
		t.Fatalf("status %s, %d resources; want a violation with both resources", v.Status, len(v.Resources))
	}
	ok, bad := v.Resources[0], v.Resources[1]
	if len(ok.Findings) != 2 || ok.Error != "" {
		t.Errorf("the judged volume: %+v; want its two findings", ok)
	}
	if len(bad.Findings) != 0 || !strings.Contains(bad.Error, "alias/gone") || bad.Actual != nil {
		t.Errorf("the volume whose key does not resolve: %+v; want an error naming alias/gone, no findings, no actual state", bad)
	}
	for _, f := range v.Findings {
		if f.Resource == "vol-0c3200000000000a2" {
			t.Errorf("a finding on the resource in error: %+v", f)
		}
	}
}

// When the record does not say which launch template version was launched,
// the verdict says which version it resolved, and when.
func TestLaunchTemplateVersionWarning(t *testing.T) {
	w, it := load(t, "launch-template-override")
	raw := strings.Replace(string(it.Record.ResponseElements), "aws:ec2launchtemplate:version", "x-removed", 1)
	it.Record.ResponseElements = []byte(strings.Replace(raw, "aws:ec2launchtemplate:id", "x-removed-id", 1))
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	v := verify.New(verify.Config{Clients: w, Now: func() time.Time { return now }}).Evaluate(context.Background(), it)
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "version 3") || !strings.Contains(v.Warnings[0], "2026-11-29T12:00:00Z") || !strings.Contains(v.Warnings[0], "$Default") {
		t.Errorf("warnings %q; want one naming $Default, version 3 and the time", v.Warnings)
	}
}

// A launch of 1,000 instances is described in requests within EC2's limits,
// and every instance's volume is judged.
func TestLargeLaunch(t *testing.T) {
	const n = 1000
	w, it := load(t, "launch-encrypted-owned")
	reg := region(w)
	vol := reg.Volumes[0]
	var items []string
	reg.Volumes, reg.Instances = nil, nil
	for i := range n {
		id := fmt.Sprintf("i-%017x", i)
		v := vol
		v.VolumeId = aws.String(fmt.Sprintf("vol-%017x", i))
		v.Attachments = []ec2types.VolumeAttachment{{InstanceId: aws.String(id), Device: vol.Attachments[0].Device, VolumeId: v.VolumeId}}
		reg.Volumes = append(reg.Volumes, v)
		items = append(items, fmt.Sprintf(`{"instanceId":%q,"imageId":"ami-0a2200000000000bb"}`, id))
	}
	it.Record.ResponseElements = []byte(`{"instancesSet":{"items":[` + strings.Join(items, ",") + `]}}`)
	r := &recorder{World: w}
	v := verify.New(verify.Config{Clients: r}).Evaluate(context.Background(), it)
	if v.Status != verify.StatusCompliant || len(v.Resources) != n {
		t.Fatalf("status %s (%s), %d resources; want compliant with %d", v.Status, v.Reason, len(v.Resources), n)
	}
	asked := map[string]bool{}
	for _, a := range r.asked {
		_, what, _ := strings.Cut(a, ": ")
		if !strings.HasPrefix(a, "DescribeVolumes") {
			continue
		}
		ids := strings.Split(strings.TrimPrefix(what, "attachment.instance-id="), ",")
		if len(ids) > world.MaxFilterValues {
			t.Errorf("a DescribeVolumes filter with %d values; EC2 accepts %d", len(ids), world.MaxFilterValues)
		}
		for _, id := range ids {
			asked[id] = true
		}
	}
	if len(asked) != n {
		t.Errorf("DescribeVolumes asked for %d instances; want %d", len(asked), n)
	}
}

// The engine splits its requests by the limits the world (and localaws)
// enforce as EC2 does.
func TestLimitsMatchWorld(t *testing.T) {
	if verify.MaxFilterValues != world.MaxFilterValues {
		t.Errorf("the engine sends %d filter values a call; EC2 accepts %d", verify.MaxFilterValues, world.MaxFilterValues)
	}
}

// The account comes from the envelope the event arrived in: a record whose
// recipientAccountId names another account is an error, and no lookup (no
// role) is made in either account.
func TestEnvelopeAccountMismatch(t *testing.T) {
	w, _ := load(t, "launch-encrypted-shared")
	b, err := os.ReadFile(samples + "launch-encrypted-shared/event.json")
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(b), `"account": "222222222222"`, `"account": "333333333333"`, 1)
	if forged == string(b) {
		t.Fatal("the sample's envelope names no account")
	}
	r := &recorder{World: w}
	v := verify.New(verify.Config{Clients: r}).Evaluate(context.Background(), cloudtrail.DecodeAll([]byte(forged))[0])
	if v.Status != verify.StatusError || !strings.Contains(v.Reason, "333333333333") || v.Retryable {
		t.Errorf("verdict %s (%s), retryable %v; want a permanent error naming both accounts", v.Status, v.Reason, v.Retryable)
	}
	if len(r.asked) != 0 {
		t.Errorf("lookups made for a forged record: %v", r.asked)
	}
	if v := verify.New(verify.Config{Clients: w}).Evaluate(context.Background(), cloudtrail.DecodeAll(b)[0]); v.Status != verify.StatusViolation {
		t.Errorf("the genuine event: %s (%s)", v.Status, v.Reason)
	}
}

// A snapshot the account cannot see is asked once per event, also when a
// finding makes the engine judge again on refreshed settings; and it is asked
// again in the next event ("not found" is never cached).
func TestInvisibleSnapshotAskedOncePerEvent(t *testing.T) {
	w, it := load(t, "launch-shared-snapshot-not-visible")
	r := &recorder{World: w}
	e := verify.New(verify.Config{Clients: r, CacheTTL: time.Hour})
	for i := range 2 {
		before := r.count("DescribeSnapshots")
		if v := e.Evaluate(context.Background(), it); v.Status != verify.StatusViolation {
			t.Fatalf("event %d: %s (%s)", i+1, v.Status, v.Reason)
		}
		if n := r.count("DescribeSnapshots") - before; n != 1 {
			t.Errorf("event %d asked DescribeSnapshots %d times; want once", i+1, n)
		}
	}
}

// An audit meets old events whose sources or results are gone since: the
// result is looked at first, so a result gone is skipped whatever became of
// its source, and a source gone leaves the result in error, not the record.
func TestOldEventsWithThingsGone(t *testing.T) {
	eventTime := time.Date(2026, 11, 20, 10, 4, 11, 0, time.UTC)
	later := func() time.Time { return eventTime.Add(30 * 24 * time.Hour) }
	recheck := verify.Check{Attempt: 1}
	dropSnapshots := func(reg *world.Region) { reg.Snapshots = nil }
	dropVolumes := func(reg *world.Region) { reg.Volumes = nil }
	dropImage := func(id string) func(reg *world.Region) {
		return func(reg *world.Region) {
			reg.Images = slices.DeleteFunc(reg.Images, func(img ec2types.Image) bool { return aws.ToString(img.ImageId) == id })
		}
	}
	tests := []struct {
		name, sample string
		gone         []func(*world.Region)
		status       string
		check        func(t *testing.T, v verify.Verdict)
	}{
		{"volume and its source snapshot both gone", "volume-encrypted-shared", []func(*world.Region){dropSnapshots, dropVolumes}, "skipped", func(t *testing.T, v verify.Verdict) {
			if v.Reason != "creation-failed" {
				t.Errorf("reason %q; want creation-failed", v.Reason)
			}
		}},
		{"the volume's source snapshot gone", "volume-encrypted-shared", []func(*world.Region){dropSnapshots}, "error", func(t *testing.T, v verify.Verdict) {
			if len(v.Resources) != 1 || v.Resources[0].Parent != "vol-0c4800000000000a1" || v.Resources[0].Resource != "vol-0c4800000000000a1" ||
				!strings.Contains(v.Resources[0].Error, "snap-0a33000000000000c") {
				t.Errorf("resources %+v; want the volume, in error naming its source snapshot", v.Resources)
			}
		}},
		{"the copied AMI's source deregistered", "copy-encrypted-shared", []func(*world.Region){dropImage("ami-0a3300000000000cc")}, "error", func(t *testing.T, v verify.Verdict) {
			if len(v.Resources) != 1 || v.Resources[0].Resource != "snap-0e1600000000000f1" || !strings.Contains(v.Resources[0].Error, "ami-0a3300000000000cc is gone") {
				t.Errorf("resources %+v; want the new snapshot, in error naming the source AMI", v.Resources)
			}
		}},
		{"the launched AMI deregistered: judged on its volumes' snapshots", "launch-encrypted-shared", []func(*world.Region){dropImage("ami-0a3300000000000cc")}, "violation", func(t *testing.T, v verify.Verdict) {
			if len(v.Findings) != 1 || v.Findings[0].Code != "DEFAULT_KEY_FALLBACK" || len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "ami-0a3300000000000cc is gone") {
				t.Errorf("findings %+v, warnings %q; want the fall-back, and a warning that the AMI is gone", v.Findings, v.Warnings)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, it := load(t, tt.sample)
			for _, g := range tt.gone {
				g(region(w))
			}
			v := verify.New(verify.Config{Clients: w, Now: later}).Recheck(context.Background(), it, recheck)
			if v.Status != tt.status {
				t.Fatalf("status %s (%s); want %s", v.Status, v.Reason, tt.status)
			}
			tt.check(t, v)
		})
	}
}

// Every finding carries its fix as a field, and its message does not repeat
// it: the e-mail and Security Hub show the fix apart without splitting text.
func TestFindingsCarryTheirFix(t *testing.T) {
	dirs, _ := filepath.Glob(samples + "*/want.json")
	n := 0
	for _, want := range dirs {
		b, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		var findings []verify.Finding
		for dec := json.NewDecoder(bytes.NewReader(b)); dec.More(); {
			var v verify.Verdict // a sample of several records has several lines
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			findings = append(findings, v.Findings...)
		}
		for _, f := range findings {
			n++
			if f.Fix == "" || strings.Contains(f.Message, f.Fix) {
				t.Errorf("%s: %s: fix %q, message %q; want the fix apart from the message", want, f.Code, f.Fix, f.Message)
			}
		}
	}
	if n == 0 {
		t.Fatal("no findings in the samples")
	}
}

// Hostile records: an eventTime that is no timestamp is an error (a missing
// one is absent, not malformed), and an oversized principal or event ID is
// cut, so that no log line or message grows without bound.
func TestHostileRecordFields(t *testing.T) {
	w, it := load(t, "launch-encrypted-shared")
	e := verify.New(verify.Config{Clients: w})
	bad := *it.Record
	bad.EventTime = "yesterday at noon"
	if v := e.Evaluate(context.Background(), cloudtrail.Item{Record: &bad}); v.Status != verify.StatusError || !strings.Contains(v.Reason, "eventTime") {
		t.Errorf("eventTime %q: %s (%s); want an error naming eventTime", bad.EventTime, v.Status, v.Reason)
	}
	missing := *it.Record
	missing.EventTime = ""
	if v := e.Evaluate(context.Background(), cloudtrail.Item{Record: &missing}); v.Status != verify.StatusViolation {
		t.Errorf("no eventTime: %s (%s); want it evaluated", v.Status, v.Reason)
	}
	huge := *it.Record
	huge.UserIdentity.ARN = cloudtrail.String("arn:aws:sts::222222222222:assumed-role/" + strings.Repeat("x", 100000))
	huge.EventID = cloudtrail.String(strings.Repeat("e", 100000))
	v := e.Evaluate(context.Background(), cloudtrail.Item{Record: &huge})
	if len(v.Principal) > 2048 || len(v.EventID) > 256 || !strings.HasSuffix(v.Principal, "[cut]") || v.Status != verify.StatusViolation {
		t.Errorf("principal of %d bytes, event ID of %d, status %s; want them cut to 2048 and 256, still evaluated", len(v.Principal), len(v.EventID), v.Status)
	}
}
