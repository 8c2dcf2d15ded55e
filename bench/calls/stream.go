package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/world"
)

// sampleAccount is the account that makes the calls in every sample
// (events/samples/README.md); each template gets its own account instead.
const sampleAccount = "222222222222"

// template is one sample the stream repeats: its event, the world of its own
// account, and what the hand-written oracle says its verdict is.
type template struct {
	name    string
	kind    string // the record's eventName
	account string
	region  string // awsRegion: where the results are created
	event   []byte
	world   *world.World
	status  string // expect.json's status
	// findings is how many findings expect.json lists, over all resources.
	findings int
	// instances are the launched instances' IDs (RunInstances).
	instances []string
	// newImage is the ID of the AMI the copy created (CopyImage).
	newImage string
}

// usable reports whether a sample belongs in a stream of live events: a call
// that succeeded and created EBS results that are visible, judged with the
// default policy. Skipped, pending and error samples cost what they cost for
// reasons unrelated to caching; a copy of an instance-store AMI creates
// nothing to look up (0 calls) and would flatter the average; samples with
// their own policy need another engine.
func usable(dir string, status string, resources int) bool {
	if _, err := os.Stat(filepath.Join(dir, "policy.json")); err == nil {
		return false
	}
	return (status == "compliant" || status == "violation") && resources > 0
}

// accountDigits matches the sample account as a whole 12-digit number.
var accountDigits = regexp.MustCompile(`(^|[^0-9])` + sampleAccount + `([^0-9]|$)`)

// loadTemplates reads the usable RunInstances and CopyImage samples, each
// moved to an account of its own so that their settings (encryption by
// default, the default key, aliases) do not collide in one world.
func loadTemplates(root string) ([]*template, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "*", "event.json"))
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	sort.Strings(dirs)
	var out []*template
	for _, f := range dirs {
		dir := filepath.Dir(f)
		var expect struct {
			Status    string `json:"status"`
			Resources []struct {
				Findings []string `json:"findings"`
			} `json:"resources"`
		}
		if err := readJSON(filepath.Join(dir, "expect.json"), &expect); err != nil {
			return nil, err
		}
		if !usable(dir, expect.Status, len(expect.Resources)) {
			continue
		}
		account := fmt.Sprintf("3333000000%02d", len(out)+1)
		move := func(b []byte) []byte {
			return accountDigits.ReplaceAll(b, []byte("${1}"+account+"${2}"))
		}
		ev, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		var rec struct {
			Detail struct {
				EventName        string          `json:"eventName"`
				AWSRegion        string          `json:"awsRegion"`
				Recipient        string          `json:"recipientAccountId"`
				ResponseElements json.RawMessage `json:"responseElements"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(ev, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if rec.Detail.EventName == "" {
			// Not one EventBridge event: a log file of several records (the
			// samples of settings as they were at the event), not one call to count.
			continue
		}
		if rec.Detail.Recipient != sampleAccount {
			return nil, fmt.Errorf("%s: the caller is %s, not %s", f, rec.Detail.Recipient, sampleAccount)
		}
		t := &template{name: filepath.Base(dir), kind: rec.Detail.EventName, account: account, region: rec.Detail.AWSRegion,
			event: move(ev), status: expect.Status}
		for _, r := range expect.Resources {
			t.findings += len(r.Findings)
		}
		switch t.kind {
		case "RunInstances":
			var resp struct {
				InstancesSet struct {
					Items []struct {
						InstanceID string `json:"instanceId"`
					} `json:"items"`
				} `json:"instancesSet"`
			}
			if err := json.Unmarshal(rec.Detail.ResponseElements, &resp); err != nil {
				return nil, fmt.Errorf("%s: responseElements: %w", f, err)
			}
			for _, it := range resp.InstancesSet.Items {
				t.instances = append(t.instances, it.InstanceID)
			}
		case "CopyImage":
			var resp struct {
				ImageID string `json:"imageId"`
			}
			if err := json.Unmarshal(rec.Detail.ResponseElements, &resp); err != nil {
				return nil, fmt.Errorf("%s: responseElements: %w", f, err)
			}
			t.newImage = resp.ImageID
		default:
			continue
		}
		wb, err := os.ReadFile(filepath.Join(dir, "world.json"))
		if err != nil {
			return nil, fmt.Errorf("read world: %w", err)
		}
		if t.world, err = world.Parse(bytes.NewReader(move(wb))); err != nil {
			return nil, fmt.Errorf("%s: world: %w", dir, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// event is one event of the stream.
type event struct {
	t    *template
	body []byte
}

// ids hands out fresh resource IDs, shaped like EC2's (17 hex digits).
type ids struct{ n int }

func (g *ids) next(prefix string) string {
	g.n++
	return fmt.Sprintf("%s-0be%014x", prefix, g.n)
}

// stream builds n events, round-robin over the templates, each a new call as
// in a real account: new instances (with their own volumes) for a launch, a
// new AMI (with its own snapshots) for a copy. The world grows with them.
// It returns the events and the world of every template's account.
func stream(templates []*template, n int) ([]event, *world.World, error) {
	w := &world.World{Accounts: map[string]map[string]*world.Region{}}
	for _, t := range templates {
		for acct, regions := range t.world.Accounts {
			if _, dup := w.Accounts[acct]; dup {
				return nil, nil, fmt.Errorf("%s: account %s is in another template's world", t.name, acct)
			}
			w.Accounts[acct] = regions
		}
	}
	var g ids
	var out []event
	for i := 0; i < n; i++ {
		t := templates[i%len(templates)]
		body := bytes.Clone(t.event)
		replace := func(old, new string) {
			body = bytes.ReplaceAll(body, []byte(`"`+old+`"`), []byte(`"`+new+`"`))
		}
		region := w.Accounts[t.account][t.region]
		if region == nil {
			return nil, nil, fmt.Errorf("%s: no %s in the world of %s", t.name, t.region, t.account)
		}
		switch t.kind {
		case "RunInstances":
			renamed := map[string]string{}
			for _, old := range t.instances {
				renamed[old] = g.next("i")
				replace(old, renamed[old])
			}
			vols, err := launchedVolumes(region.Volumes, renamed, &g)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", t.name, err)
			}
			region.Volumes = append(region.Volumes, vols...)
		case "CopyImage":
			id := g.next("ami")
			replace(t.newImage, id)
			img, snaps, err := copiedImage(region, t.newImage, id, &g)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", t.name, err)
			}
			if img != nil {
				region.Images = append(region.Images, *img)
				region.Snapshots = append(region.Snapshots, snaps...)
			}
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", t.name, err)
		}
		// Every record is a new call: its own event ID.
		ev["id"] = fmt.Sprintf("bench-%06d", i)
		ev["detail"].(map[string]any)["eventID"] = fmt.Sprintf("bench-%06d", i)
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, event{t: t, body: b})
	}
	return out, w, nil
}

// launchedVolumes returns copies of the template's volumes attached to the
// renamed instances, attached to the new instances under new volume IDs.
func launchedVolumes(vols []ec2types.Volume, renamed map[string]string, g *ids) ([]ec2types.Volume, error) {
	var out []ec2types.Volume
	for _, v := range vols {
		attached := slices.ContainsFunc(v.Attachments, func(a ec2types.VolumeAttachment) bool {
			_, ok := renamed[aws.ToString(a.InstanceId)]
			return ok
		})
		if !attached {
			continue
		}
		var c ec2types.Volume
		if err := deepCopy(v, &c); err != nil {
			return nil, err
		}
		id := g.next("vol")
		c.VolumeId = &id
		for i, a := range c.Attachments {
			if n, ok := renamed[aws.ToString(a.InstanceId)]; ok {
				c.Attachments[i].InstanceId = aws.String(n)
				c.Attachments[i].VolumeId = aws.String(id)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// copiedImage returns a copy of the template's new AMI under a new ID, with
// new snapshots; nil when the world does not list the template's AMI (a copy
// not visible yet stays not visible).
func copiedImage(r *world.Region, old, id string, g *ids) (*ec2types.Image, []ec2types.Snapshot, error) {
	i := slices.IndexFunc(r.Images, func(img ec2types.Image) bool { return aws.ToString(img.ImageId) == old })
	if i < 0 {
		return nil, nil, nil
	}
	var img ec2types.Image
	if err := deepCopy(r.Images[i], &img); err != nil {
		return nil, nil, err
	}
	img.ImageId = aws.String(id)
	var snaps []ec2types.Snapshot
	for k, m := range img.BlockDeviceMappings {
		if m.Ebs == nil || m.Ebs.SnapshotId == nil {
			continue
		}
		oldSnap := aws.ToString(m.Ebs.SnapshotId)
		newSnap := g.next("snap")
		img.BlockDeviceMappings[k].Ebs.SnapshotId = aws.String(newSnap)
		j := slices.IndexFunc(r.Snapshots, func(s ec2types.Snapshot) bool { return aws.ToString(s.SnapshotId) == oldSnap })
		if j < 0 {
			continue // the template's snapshot is not listed: neither is the copy's
		}
		var s ec2types.Snapshot
		if err := deepCopy(r.Snapshots[j], &s); err != nil {
			return nil, nil, err
		}
		s.SnapshotId = aws.String(newSnap)
		snaps = append(snaps, s)
	}
	return &img, snaps, nil
}

// deepCopy copies an SDK value through JSON, the form the world file has.
func deepCopy(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return fmt.Errorf("copy %T: %w", from, err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		return fmt.Errorf("copy %T: %w", from, err)
	}
	return nil
}
