package verify

// The snapshot lookups every kind makes through the same calls: snapshots by
// ID (cached once completed), and what a snapshot says of itself as a source.

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ebsguard/ebsguard/lambda/rules"
)

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

// snapshotSource describes a source snapshot the account can see.
func snapshotSource(s *session, region string, snap ec2types.Snapshot) source {
	src := source{SnapshotID: aws.ToString(snap.SnapshotId), Region: region, State: rules.UnencryptedSource,
		Owned: aws.ToString(snap.OwnerId) == s.account, Associated: associatedKeys(snap)}
	if isEncrypted(snap.Encrypted, snap.KmsKeyId) {
		src.State, src.KeyRef = rules.EncryptedSource, aws.ToString(snap.KmsKeyId)
	}
	return src
}
