package verify

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// Region names: us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1, ...
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]{2,10}){1,3}-[0-9]{1,2}$`)
)

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return accountPattern.MatchString(s) }

// ValidRegion reports whether s is shaped like a real AWS Region name.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }

// class says how long an answer may be reused.
type class uint8

const (
	// perEvent answers are asked once per event and never reused across
	// events: the results of a call, an image still being copied.
	perEvent class = iota
	// immutable answers never change once they exist (an available image's
	// mappings and owner, a snapshot's encryption, key and owner): reused
	// across events for the cache's lifetime. "Not found" is never kept.
	immutable
	// setting answers may change at any time (encryption by default, the
	// default key, what a key reference resolves to): reused across events,
	// but refreshed before a finding is raised on a reused one.
	setting
)

// cacheable is implemented by answers that are sometimes not worth keeping
// across events (a key that does not exist yet, an image still pending).
type cacheable interface{ cacheable() bool }

// session does the lookups of one event for one account. Within an event
// nothing is asked twice; across events, the engine's cache answers what
// does not change or changes rarely.
type session struct {
	ctx     context.Context
	clients Clients
	cache   *cache
	kind    rules.Kind // the kind of the record being evaluated
	account string
	region  string // the Region of the call (awsRegion)
	when    time.Time
	check   Check
	now     func() time.Time
	calls   map[string]int
	memo    map[string]any
	// reused lists the setting answers this event took from the cache;
	// refreshing asks exactly those again.
	reused     map[string]bool
	refreshing bool
	warnings   []string
	// history and carried say what the settings were at the record's time
	// (settings_at.go).
	history *SettingsHistory
	carried *CarriedSettings
}

// remember answers from the event's memo, then from the engine's cache, and
// computes only on a miss of both. Errors are never kept.
func remember[T any](s *session, key string, c class, compute func() (T, error)) (T, error) {
	stale := s.refreshing && s.reused[key]
	if v, ok := s.memo[key]; ok && !stale {
		return v.(T), nil
	}
	if c != perEvent && !stale {
		if v, ok := s.cache.get(key); ok {
			if c == setting {
				s.reused[key] = true
			}
			s.memo[key] = v
			return v.(T), nil
		}
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	delete(s.reused, key)
	s.memo[key] = v
	if k, ok := any(v).(cacheable); c != perEvent && (!ok || k.cacheable()) {
		s.cache.put(key, v)
	}
	return v, nil
}

// known reports whether an answer is at hand without a call: in the event's
// memo or the engine's cache.
func (s *session) known(key string) bool {
	if _, ok := s.memo[key]; ok {
		return true
	}
	_, ok := s.cache.get(key)
	return ok
}

// warn adds a warning to the verdict, once.
func (s *session) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !slices.Contains(s.warnings, w) {
		s.warnings = append(s.warnings, w)
	}
}

// goneAfter is how long after the call a result that still cannot be found
// on a re-check is taken to be gone rather than not visible yet: EC2 lists a
// new image, snapshot or volume within seconds.
const goneAfter = 10 * time.Minute

// gone reports whether a result that is not found is gone for good: on a
// re-check, long enough after the call. A first look (and replay) sees only
// "not visible yet".
func (s *session) gone() bool {
	return s.check.Attempt > 0 && s.now().Sub(s.when) > goneAfter
}

func (s *session) count(api string) { s.calls[api]++ }

func (s *session) ec2(region string) (EC2API, error) {
	c, err := s.clients.EC2(s.ctx, s.account, region)
	if err != nil {
		return nil, fmt.Errorf("ec2 client for %s in %s: %w", s.account, region, err)
	}
	return &countingEC2{EC2API: c, s: s}, nil
}

// imageAnswer is an image as DescribeImages gives it; only an available
// image's mappings are final.
type imageAnswer struct{ ec2types.Image }

func (a imageAnswer) cacheable() bool { return a.State == ec2types.ImageStateAvailable }

// image describes one AMI; a missing one is ErrNotFound.
func (s *session) image(region, id string) (*ec2types.Image, error) {
	a, err := remember(s, "image/"+s.account+"/"+region+"/"+id, immutable, func() (imageAnswer, error) {
		c, err := s.ec2(region)
		if err != nil {
			return imageAnswer{}, err
		}
		p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		for p.HasMorePages() {
			page, err := p.NextPage(s.ctx)
			if err != nil {
				if isNotFound(err) {
					break
				}
				return imageAnswer{}, fmt.Errorf("describe image %s in %s: %w", id, region, err)
			}
			for _, img := range page.Images {
				if aws.ToString(img.ImageId) == id {
					return imageAnswer{img}, nil
				}
			}
		}
		return imageAnswer{}, fmt.Errorf("image %s in %s: %w", id, region, ErrNotFound)
	})
	if err != nil {
		return nil, err
	}
	return &a.Image, nil
}

// snapshots describes snapshots by ID, in as few calls as EC2's limits allow,
// and only those not known already. Snapshots the account cannot see are
// absent from the result, not an error: a shared AMI's snapshots often are.
func (s *session) snapshots(region string, ids []string) (map[string]ec2types.Snapshot, error) {
	out := map[string]ec2types.Snapshot{}
	key := func(id string) string { return "snapshot/" + s.account + "/" + region + "/" + id }
	var missing []string
	for _, id := range ids {
		if id == "" || slices.Contains(missing, id) {
			continue
		}
		if v, ok := s.memo[key(id)]; ok {
			if snap, visible := v.(ec2types.Snapshot); visible {
				out[id] = snap
			}
		} else if v, ok := s.cache.get(key(id)); ok {
			out[id] = v.(ec2types.Snapshot)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	c, err := s.ec2(region)
	if err != nil {
		return nil, err
	}
	found := map[string]ec2types.Snapshot{}
	for _, chunk := range chunks(missing, maxIDsPerCall) {
		err := s.describeSnapshots(c, chunk, found)
		if isNotFound(err) && len(chunk) > 1 {
			// One unknown ID fails the whole call; ask one by one to keep the rest.
			for _, id := range chunk {
				if err := s.describeSnapshots(c, []string{id}, found); err != nil && !isNotFound(err) {
					return nil, fmt.Errorf("describe snapshot %s in %s: %w", id, region, err)
				}
			}
			continue
		}
		if err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("describe snapshots %v in %s: %w", chunk, region, err)
		}
	}
	for _, id := range missing {
		snap, ok := found[id]
		if !ok {
			// Not visible to the account: not asked again in this event, but
			// asked again in the next (never cached).
			s.memo[key(id)] = notVisible{}
			continue
		}
		// A snapshot's encryption, key and owner never change; a completed
		// one stays completed (a pending copy may still fail: it is asked
		// again in the next event).
		s.memo[key(id)] = snap
		if snap.State == ec2types.SnapshotStateCompleted {
			s.cache.put(key(id), snap)
		}
		out[id] = snap
	}
	return out, nil
}

// notVisible marks, in an event's memo, a snapshot the account cannot see.
type notVisible struct{}

// prefetchImages describes several AMIs of one Region in one call and keeps
// them as image would. An ID that does not exist fails the whole call: then
// nothing is kept, and image asks for each on its own.
func (s *session) prefetchImages(region string, ids ...string) error {
	c, err := s.ec2(region)
	if err != nil {
		return err
	}
	out, err := c.DescribeImages(s.ctx, &ec2.DescribeImagesInput{ImageIds: ids})
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe images %v in %s: %w", ids, region, err)
	}
	for _, img := range out.Images {
		key := "image/" + s.account + "/" + region + "/" + aws.ToString(img.ImageId)
		a := imageAnswer{img}
		s.memo[key] = a
		if a.cacheable() {
			s.cache.put(key, a)
		}
	}
	return nil
}

func (s *session) describeSnapshots(c EC2API, ids []string, out map[string]ec2types.Snapshot) error {
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{SnapshotIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx)
		if err != nil {
			return err
		}
		for _, snap := range page.Snapshots {
			out[aws.ToString(snap.SnapshotId)] = snap
		}
	}
	return nil
}

// attachedVolumes returns the volumes attached to the instances, by instance
// ID and device name, in as few calls as the filter's limit allows.
func (s *session) attachedVolumes(region string, instanceIDs []string) (map[string]map[string]ec2types.Volume, error) {
	return remember(s, "attached/"+region+"/"+fmt.Sprint(instanceIDs), perEvent, func() (map[string]map[string]ec2types.Volume, error) {
		c, err := s.ec2(region)
		if err != nil {
			return nil, err
		}
		out := map[string]map[string]ec2types.Volume{}
		for _, chunk := range chunks(instanceIDs, maxFilterValues) {
			p := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{
				Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: chunk}},
			})
			for p.HasMorePages() {
				page, err := p.NextPage(s.ctx)
				if err != nil {
					return nil, fmt.Errorf("describe volumes of %d instances (%s…) in %s: %w", len(chunk), chunk[0], region, err)
				}
				for _, vol := range page.Volumes {
					for _, a := range vol.Attachments {
						id := aws.ToString(a.InstanceId)
						if out[id] == nil {
							out[id] = map[string]ec2types.Volume{}
						}
						out[id][aws.ToString(a.Device)] = vol
					}
				}
			}
		}
		return out, nil
	})
}

// volume describes one volume; a volume not listed (yet) is ErrNotFound.
func (s *session) volume(region, id string) (ec2types.Volume, error) {
	return remember(s, "volume/"+region+"/"+id, perEvent, func() (ec2types.Volume, error) {
		c, err := s.ec2(region)
		if err != nil {
			return ec2types.Volume{}, err
		}
		out, err := c.DescribeVolumes(s.ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
		if err != nil && !isNotFound(err) {
			return ec2types.Volume{}, fmt.Errorf("describe volume %s in %s: %w", id, region, err)
		}
		if out != nil {
			for _, v := range out.Volumes {
				if aws.ToString(v.VolumeId) == id {
					return v, nil
				}
			}
		}
		return ec2types.Volume{}, fmt.Errorf("volume %s in %s: %w", id, region, ErrNotFound)
	})
}

// templateVersion is one launch template version's data and number.
type templateVersion struct {
	Number int64
	Data   *ec2types.ResponseLaunchTemplateData
}

// a numbered version never changes; $Latest and $Default do.
func (v templateVersion) cacheable() bool { return true }

// launchTemplate returns one version of a launch template, named by ID or
// name, and by number, "$Latest" or "$Default".
func (s *session) launchTemplate(region, id, name, version string) (templateVersion, error) {
	what := id
	if id == "" {
		what = name
	}
	c := perEvent
	if _, err := fmt.Sscan(version, new(int64)); err == nil && id != "" {
		c = immutable
	}
	return remember(s, "template/"+s.account+"/"+region+"/"+what+"/"+version, c, func() (templateVersion, error) {
		api, err := s.ec2(region)
		if err != nil {
			return templateVersion{}, err
		}
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
		if id != "" {
			in.LaunchTemplateId = aws.String(id)
		} else {
			in.LaunchTemplateName = aws.String(name)
		}
		p := ec2.NewDescribeLaunchTemplateVersionsPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(s.ctx)
			if err != nil {
				return templateVersion{}, fmt.Errorf("describe launch template %s version %s in %s: %w", what, version, region, err)
			}
			for _, v := range page.LaunchTemplateVersions {
				if v.LaunchTemplateData != nil {
					return templateVersion{Number: aws.ToInt64(v.VersionNumber), Data: v.LaunchTemplateData}, nil
				}
			}
		}
		return templateVersion{}, fmt.Errorf("launch template %s version %s in %s: %w", what, version, region, ErrNotFound)
	})
}

// ebd returns whether encryption by default is on.
func (s *session) ebd(region string) (bool, error) {
	if v, known, _ := s.ebdAtEvent(region); known {
		return v, nil
	}
	return remember(s, "ebd/"+s.account+"/"+region, setting, func() (bool, error) {
		c, err := s.ec2(region)
		if err != nil {
			return false, err
		}
		out, err := c.GetEbsEncryptionByDefault(s.ctx, &ec2.GetEbsEncryptionByDefaultInput{})
		if err != nil {
			return false, fmt.Errorf("get EBS encryption by default in %s: %w", region, err)
		}
		return aws.ToBool(out.EbsEncryptionByDefault), nil
	})
}

// defaultKeyRef returns the account's default EBS key reference as EC2 gives it.
func (s *session) defaultKeyRef(region string) (string, error) {
	if ref, known := s.defAtEvent(region); known {
		return ref, nil
	}
	return remember(s, "defaultkey/"+s.account+"/"+region, setting, func() (string, error) {
		c, err := s.ec2(region)
		if err != nil {
			return "", err
		}
		out, err := c.GetEbsDefaultKmsKeyId(s.ctx, &ec2.GetEbsDefaultKmsKeyIdInput{})
		if err != nil {
			return "", fmt.Errorf("get EBS default KMS key in %s: %w", region, err)
		}
		if id := aws.ToString(out.KmsKeyId); id != "" {
			return id, nil
		}
		return rules.AWSManagedAlias, nil
	})
}

// actual reads the encryption state of a result, which EC2 normally gives
// with a key ARN already.
func (s *session) actual(region string, encrypted *bool, keyID *string) (rules.State, error) {
	if !isEncrypted(encrypted, keyID) {
		return rules.State{}, nil
	}
	if aws.ToString(keyID) == "" {
		return rules.State{Encrypted: true}, nil
	}
	arn, err := s.mustResolve(region, aws.ToString(keyID))
	if err != nil {
		return rules.State{}, err
	}
	return rules.EncryptedWith(arn), nil
}

// isEncrypted reads EC2's Encrypted flag; a hand-written world that names a
// key but omits the flag means encrypted.
func isEncrypted(encrypted *bool, keyID *string) bool {
	if encrypted != nil {
		return *encrypted
	}
	return aws.ToString(keyID) != ""
}
