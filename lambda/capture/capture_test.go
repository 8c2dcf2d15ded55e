package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	ct "github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// sample is one folder of events/samples: its world stands for the live
// accounts.
type sample struct {
	name   string
	live   *world.World
	policy verify.Policy
	items  []ct.Item
}

func samples(t *testing.T) []sample {
	t.Helper()
	dirs, _ := filepath.Glob("../../events/samples/*/world.json")
	if len(dirs) < 20 {
		t.Fatalf("found %d samples", len(dirs))
	}
	var out []sample
	for _, wp := range dirs {
		dir := filepath.Dir(wp)
		s := sample{name: filepath.Base(dir)}
		var err error
		if s.live, err = world.Load(wp); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
			if s.policy, err = verify.LoadPolicy(filepath.Join(dir, "policy.json")); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := os.ReadFile(filepath.Join(dir, "event.json"))
		if err != nil {
			t.Fatal(err)
		}
		s.items = ct.DecodeAll(ev)
		out = append(out, s)
	}
	return out
}

// capture evaluates the sample's records live (its world) while recording.
func capture(t *testing.T, live verify.Clients, policy verify.Policy, items []ct.Item) (*Capture, []verify.Verdict) {
	t.Helper()
	c := New(live, policy, now)
	eng := c.Engine(time.Minute)
	var vs []verify.Verdict
	for _, it := range items {
		v := eng.Evaluate(context.Background(), it)
		c.Add(it, v)
		vs = append(vs, v)
	}
	return c, vs
}

// Every sample's verdicts come out the same from the captured world and
// records alone as from its live world, redacted or not.
func TestSamplesReproduced(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, redact := range []bool{false, true} {
				c, live := capture(t, s.live, s.policy, s.items)
				var red *Redactor
				if redact {
					red = NewRedactor()
				}
				f, err := c.Write(red)
				if err != nil {
					t.Fatal(err)
				}
				if c.Records() != len(live) || len(f.Records) != len(live) {
					t.Fatalf("%d records captured, %d written, for %d verdicts", c.Records(), len(f.Records), len(live))
				}
				ms, err := c.Check(context.Background(), f, time.Minute)
				if err != nil || len(ms) != 0 {
					t.Errorf("redact=%v: %v, %v", redact, ms, err)
				}
				// Independently of Check: a fresh engine over the files.
				w, err := world.Parse(bytes.NewReader(f.World))
				if err != nil {
					t.Fatal(err)
				}
				eng := verify.New(verify.Config{Clients: w, Policy: s.policy, Now: func() time.Time { return now }})
				for i, rec := range f.Records {
					off := eng.Evaluate(context.Background(), ct.DecodeAll(rec)[0])
					if redact {
						if off.Principal == live[i].Principal && live[i].Principal != "" {
							t.Errorf("principal %s not redacted", off.Principal)
						}
					}
					a, _ := live[i].JSON()
					b, _ := off.JSON()
					if redact {
						// What the verdict quotes of names and free text
						// (a bucket, a status message) reads redacted.
						a, b = []byte(red.Apply(string(a))), []byte(red.Apply(string(b)))
					}
					if !bytes.Equal(a, b) {
						t.Errorf("redact=%v: offline\n%s\nlive\n%s", redact, b, a)
					}
				}
			}
		})
	}
}

// The world holds what the engine looked up and nothing else.
func TestOnlyWhatWasLookedUp(t *testing.T) {
	var s sample
	for _, x := range samples(t) {
		if x.name == "launch-encrypted-shared" {
			s = x
		}
	}
	acct := s.live.Accounts["222222222222"]["us-east-1"]
	acct.Images = append(acct.Images, acct.Images[0])
	acct.Images[len(acct.Images)-1].ImageId = aws.String("ami-0unrelated")
	c, _ := capture(t, s.live, s.policy, s.items)
	f, err := c.Write(nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.World, []byte("ami-0unrelated")) {
		t.Error("the captured world lists an image the engine never asked for")
	}
	if bytes.Contains(f.World, []byte("null")) || bytes.Contains(f.World, []byte(`: ""`)) {
		t.Errorf("the captured world has fields AWS did not answer:\n%s", f.World)
	}
	for _, want := range []string{"ami-0a3300000000000cc", "vol-", `"ebsEncryptionByDefault"`, `"Aliases": [`} {
		if !bytes.Contains(f.World, []byte(want)) {
			t.Errorf("the captured world lacks %s:\n%s", want, f.World)
		}
	}
}

// failing answers one API with an error other than not found, as an account
// whose reader role may not call it would.
type failing struct {
	verify.Clients
	api string
}

type failingEC2 struct {
	verify.EC2API
	api string
}

func (f failing) EC2(ctx context.Context, account, region string) (verify.EC2API, error) {
	c, err := f.Clients.EC2(ctx, account, region)
	return failingEC2{c, f.api}, err
}

func (f failingEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, o ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	if f.api == "DescribeVolumes" {
		return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
	}
	return f.EC2API.DescribeVolumes(ctx, in, o...)
}

// A lookup that failed live leaves nothing in the world: Check says which
// verdict the world does not reproduce.
func TestCheckFindsWhatTheWorldCannotReproduce(t *testing.T) {
	var s sample
	for _, x := range samples(t) {
		if x.name == "launch-encrypted-shared" {
			s = x
		}
	}
	c, live := capture(t, failing{s.live, "DescribeVolumes"}, s.policy, s.items)
	if live[0].Status != verify.StatusError {
		t.Fatalf("live verdict %s; want error", live[0].Status)
	}
	f, err := c.Write(nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.Check(context.Background(), f, time.Minute)
	if err != nil || len(ms) != 1 || ms[0].EventID != live[0].EventID {
		t.Fatalf("mismatches %v, %v; want the one record", ms, err)
	}
	if !strings.Contains(ms[0].String(), "live error (") {
		t.Errorf("mismatch reads %q", ms[0])
	}
}

// keys answers DescribeKey like KMS: any reference to one key.
type keys struct{ verify.Clients }

type oneKey struct{}

func (keys) KMS(context.Context, string, string) (verify.KMSAPI, error) { return oneKey{}, nil }

func (oneKey) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if aws.ToString(in.KeyId) == "alias/missing" {
		return nil, errors.New("NotFoundException")
	}
	return &kms.DescribeKeyOutput{KeyMetadata: kmsKey()}, nil
}

func TestRecorderKeepsTheAliasesAsked(t *testing.T) {
	r := NewRecorder(keys{})
	c, _ := r.KMS(context.Background(), "222222222222", "eu-west-1")
	for _, ref := range []string{"alias/web", "arn:aws:kms:eu-west-1:222222222222:alias/team", "arn:aws:kms:eu-west-1:222222222222:key/k1", "k1", "alias/web", "alias/missing"} {
		c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	}
	ks := r.World().Accounts["222222222222"]["eu-west-1"].Keys
	if len(ks) != 1 || !slices.Equal(ks[0].Aliases, []string{"alias/team", "alias/web"}) || aws.ToString(ks[0].Arn) != "arn:aws:kms:eu-west-1:222222222222:key/k1" {
		t.Fatalf("keys %+v; want k1 once with alias/team and alias/web", ks)
	}
	// And the world resolves them all again.
	w := r.World()
	kc, _ := w.KMS(context.Background(), "222222222222", "eu-west-1")
	for _, ref := range []string{"alias/web", "arn:aws:kms:eu-west-1:222222222222:alias/team", "k1"} {
		if _, err := kc.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(ref)}); err != nil {
			t.Errorf("the world does not resolve %s: %v", ref, err)
		}
	}
}

func TestRedactor(t *testing.T) {
	rec := `{"eventID":"e1","eventName":"RunInstances","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"222222222222",
	  "eventTime":"2026-11-20T10:04:11Z","sourceIPAddress":"198.51.100.7",
	  "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice@example.com","arn":"arn:aws:sts::222222222222:assumed-role/admin/alice@example.com",
	    "accountId":"222222222222","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::222222222222:role/admin","userName":"admin"}}},
	  "requestParameters":{"iamInstanceProfile":{"arn":"arn:aws:iam::222222222222:instance-profile/alice-profile"},
	    "tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Owner","value":"alice@example.com"}]}]},
	    "blockDeviceMapping":{"items":[{"deviceName":"/dev/sdb","noDevice":""}]}},
	  "responseElements":{"instancesSet":{"items":[{"instanceId":"i-1","tagSet":{"items":[{"key":"aws:ec2launchtemplate:id","value":"lt-0d4"},{"key":"Name","value":"alice-box"}]}}]}}}`
	it := ct.DecodeAll([]byte(rec))[0]
	red := NewRedactor()
	b, err := EncodeRecord(it.Record, red)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"alice", "198.51.100.7", "AROAEXAMPLE", "ASIAEXAMPLE", "role/admin", `"admin"`} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("redacted record still holds %q:\n%s", secret, b)
		}
	}
	for _, kept := range []string{`"value":"lt-0d4"`, `"value":"REDACTED"`, `"noDevice":""`, `"accountId":"222222222222"`, `"type":"AssumedRole"`, "arn:aws:sts::222222222222:assumed-role/redacted-"} {
		if !bytes.Contains(b, []byte(kept)) {
			t.Errorf("redacted record lost %s:\n%s", kept, b)
		}
	}
	// The same principal reads the same within a capture, not across.
	again, _ := EncodeRecord(it.Record, red)
	other, _ := EncodeRecord(it.Record, NewRedactor())
	if !bytes.Equal(b, again) || bytes.Equal(b, other) {
		t.Error("pseudonyms are not stable within a redactor, or not salted across")
	}

	w := &world.World{}
	if err := json.Unmarshal([]byte(`{"accounts":{"222222222222":{"us-east-1":{
	  "images":[{"ImageId":"ami-1","Description":"alice's golden image","Tags":[{"Key":"Owner","Value":"alice@example.com"},{"Key":"aws:cloudformation:stack-name","Value":"base"}]}],
	  "snapshots":[{"SnapshotId":"snap-1","Description":"alice's backup"},{"SnapshotId":"snap-2","Description":"Created by AWS-VMImport service for import-snap-1"}],
	  "launchTemplateVersions":[{"LaunchTemplateId":"lt-1","LaunchTemplateName":"alice-web","VersionNumber":1,"CreatedBy":"arn:aws:iam::222222222222:user/alice"}]}}}}`), w); err != nil {
		t.Fatal(err)
	}
	wb, err := EncodeWorld(w, red)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wb, []byte("alice")) || bytes.Contains(wb, []byte("base")) || !bytes.Contains(wb, []byte(`"Description": "REDACTED"`)) ||
		!bytes.Contains(wb, []byte(`"Description": "Created by AWS-VMImport service for import-snap-1"`)) || !bytes.Contains(wb, []byte(`"LaunchTemplateName": "`+red.pseudonym("alice-web")+`"`)) {
		t.Errorf("redacted world:\n%s", wb)
	}
	if _, err := world.Parse(bytes.NewReader(wb)); err != nil {
		t.Errorf("the redacted world does not parse: %v", err)
	}
}

func kmsKey() *kmstypes.KeyMetadata {
	return &kmstypes.KeyMetadata{KeyId: aws.String("k1"), Arn: aws.String("arn:aws:kms:eu-west-1:222222222222:key/k1"), KeyManager: kmstypes.KeyManagerTypeCustomer}
}

// What AWS did not answer is left out; what is present though empty stays.
func TestEncodeWorldLeavesOutWhatAWSDidNotAnswer(t *testing.T) {
	w := &world.World{Accounts: map[string]map[string]*world.Region{"222222222222": {"us-east-1": {
		Images: []ec2types.Image{{ImageId: aws.String("ami-1"), BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/sdb"), NoDevice: aws.String("")},
			{DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
		}}},
	}}}}
	b, err := EncodeWorld(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"NoDevice": ""`)) || bytes.Contains(b, []byte(`"VolumeType"`)) || bytes.Contains(b, []byte("null")) {
		t.Errorf("world:\n%s", b)
	}
	back, err := world.Parse(bytes.NewReader(b))
	if err != nil || back.Accounts["222222222222"]["us-east-1"].Images[0].BlockDeviceMappings[0].NoDevice == nil {
		t.Errorf("NoDevice lost reading the world back: %v", err)
	}
}
