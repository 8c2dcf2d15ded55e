package world

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Live is a world whose later results appear as time and calls go by: what
// localaws serves, where a copy is pending for its first describe calls and
// then available. A *World alone never changes (replay answers from it).
type Live struct {
	world *World
	now   func() time.Time
	start time.Time

	mu    sync.Mutex
	state map[[2]string]*laterState // account, Region
	views sync.Map                  // account, Region → *EC2
}

// laterState counts, per later entry of one Region, the describe calls that
// saw the earlier state, and which entries apply.
type laterState struct {
	calls   []int
	applied []bool
}

var _ verify.Clients = (*Live)(nil)

// Live starts a live view of the world now; now is the clock (nil:
// time.Now), so a test can move time without waiting.
func (w *World) Live(now func() time.Time) *Live {
	if now == nil {
		now = time.Now
	}
	return &Live{world: w, now: now, start: now(), state: map[[2]string]*laterState{}}
}

// World is the world the view started from.
func (l *Live) World() *World { return l.world }

// EC2 returns the live EC2 view of an account and Region.
func (l *Live) EC2(_ context.Context, account, region string) (verify.EC2API, error) {
	return l.EC2View(account, region), nil
}

// EC2View is EC2 with the concrete type, which also answers DescribeRegions.
func (l *Live) EC2View(account, region string) *EC2 {
	v, _ := l.views.LoadOrStore([2]string{account, region}, &EC2{world: l.world, live: l, account: account, region: region})
	return v.(*EC2)
}

// KMS returns the KMS view of an account and Region (keys do not change).
func (l *Live) KMS(ctx context.Context, account, region string) (verify.KMSAPI, error) {
	return l.world.KMS(ctx, account, region)
}

// view answers one describe call: every later entry the call would show is
// applied once its conditions hold, and otherwise counts the call as one that
// saw the earlier state.
func (l *Live) view(account, region string, q call) (*Region, error) {
	base := l.world.view(account, region)
	if len(base.Later) == 0 {
		return base, nil
	}
	// Its lists, typed: a lazily loaded world's decoded (once: lazy.go).
	base, err := base.decoded()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := [2]string{account, region}
	st := l.state[key]
	if st == nil {
		st = &laterState{calls: make([]int, len(base.Later)), applied: make([]bool, len(base.Later))}
		l.state[key] = st
	}
	elapsed := l.now().Sub(l.start).Seconds()
	for i, e := range base.Later {
		if st.applied[i] || !e.concerns(base, q) {
			continue
		}
		if st.calls[i] >= e.AfterCalls && elapsed >= e.AfterSeconds {
			st.applied[i] = true
		} else {
			st.calls[i]++
		}
	}
	out := *base
	out.index = nil // a view of its own, indexed on its first lookup
	for _, l := range lists {
		l.cloneInto(&out, base)
	}
	for i, e := range base.Later {
		if st.applied[i] {
			for _, l := range lists {
				l.apply(&out, &e)
			}
		}
	}
	return &out, nil
}

// concerns reports whether a describe call would show one of the entry's
// objects (or one it removes).
func (e Later) concerns(base *Region, q call) bool {
	named := func(id string) bool {
		return len(q.ids) == 0 || slices.Contains(q.ids, id)
	}
	for _, l := range lists {
		if l.concerns(base, &e, q) {
			return true
		}
	}
	if q.list == nil || !q.list.removable() {
		return false
	}
	for _, id := range e.Removed {
		if named(id) {
			return true
		}
	}
	return false
}

// volumesConcern reports whether a DescribeVolumes call would show one of the
// entry's volumes, or a volume its instances attach, as attached then.
func volumesConcern(base *Region, e *Later, q call) bool {
	named := func(id string) bool {
		return len(q.ids) == 0 || slices.Contains(q.ids, id)
	}
	after := &Region{Volumes: append(slices.Clone(base.Volumes), e.Volumes...), Instances: append(slices.Clone(base.Instances), e.Instances...)}
	mine := map[string]bool{}
	for _, v := range e.Volumes {
		mine[aws.ToString(v.VolumeId)] = true
	}
	for _, inst := range e.Instances {
		for _, m := range inst.BlockDeviceMappings {
			if m.Ebs != nil {
				mine[aws.ToString(m.Ebs.VolumeId)] = true
			}
		}
	}
	for _, v := range after.attachedVolumes() {
		if mine[aws.ToString(v.VolumeId)] && named(aws.ToString(v.VolumeId)) && matchFilters(v, q.filters) {
			return true
		}
	}
	return false
}
