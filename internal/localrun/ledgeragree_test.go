package localrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/delivery"
)

// The simulation runs the handler on delivery.Memory as its model of the
// DynamoDB table: the two must agree. Generated sequences of claims,
// confirms, releases and clock steps (whole seconds, landing on the lease's
// edge too) run against Memory and against the Table on dynalite, and every
// answer is compared.
func TestLedgerMemoryAgreesWithTable(t *testing.T) {
	d := startDynalite(t)
	ctx := context.Background()
	const lease = 10 * time.Second
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 7))
		now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		event := fmt.Sprintf("agree-%d", seed)
		mem := delivery.NewMemory(lease, clock)
		tab := delivery.NewTable(d.Client(), DeliveryTable, lease, 52*time.Hour, clock)
		var keys []delivery.Key
		for i := range 4 {
			keys = append(keys, delivery.Key{EventID: event, Resource: fmt.Sprintf("vol-%d", i), Code: "UNENCRYPTED"})
		}
		pick := func() []delivery.Key {
			var out []delivery.Key
			for _, k := range keys {
				if r.IntN(2) == 0 {
					out = append(out, k)
				}
			}
			return out
		}
		for step := range 40 {
			var op string
			switch r.IntN(4) {
			case 0:
				op = "claim"
				ks := pick()
				a, aerr := mem.Claim(ctx, ks)
				b, berr := tab.Claim(ctx, ks)
				if aerr != nil || berr != nil || !sameClaim(a, b) {
					t.Fatalf("seed %d step %d: claim %v: memory %v %v, table %v %v", seed, step, ks, a, aerr, b, berr)
				}
			case 1:
				op = "confirm"
				ks := pick()
				if err := errorsOf(mem.Confirm(ctx, ks), tab.Confirm(ctx, ks)); err != nil {
					t.Fatalf("seed %d step %d: confirm: %v", seed, step, err)
				}
			case 2:
				op = "release"
				ks := pick()
				if err := errorsOf(mem.Release(ctx, ks), tab.Release(ctx, ks)); err != nil {
					t.Fatalf("seed %d step %d: release: %v", seed, step, err)
				}
			default:
				op = "tick"
				now = now.Add([]time.Duration{time.Second, 5 * time.Second, lease, lease + time.Second}[r.IntN(4)])
			}
			a, _ := mem.Published(ctx, event)
			b, _ := tab.Published(ctx, event)
			if !sameKeys(a, b) {
				t.Fatalf("seed %d step %d (after %s): published: memory %v, table %v", seed, step, op, a, b)
			}
		}
	}
}

func errorsOf(a, b error) error {
	if a != nil || b != nil {
		return fmt.Errorf("memory %v, table %v", a, b)
	}
	return nil
}

func sameKeys(a, b []delivery.Key) bool {
	key := func(k delivery.Key) string { return k.EventID + " " + k.Resource + " " + k.Code }
	x, y := make([]string, len(a)), make([]string, len(b))
	for i, k := range a {
		x[i] = key(k)
	}
	for i, k := range b {
		y[i] = key(k)
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func sameClaim(a, b delivery.Claim) bool {
	return sameKeys(a.Admitted, b.Admitted) && sameKeys(a.Done, b.Done) && sameKeys(a.Held, b.Held)
}
