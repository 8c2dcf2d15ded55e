package backfill

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Athena refuses a query projecting more than a million partitions: years
// of an organization are cut into windows each under the limit, which
// cover the window exactly, in order, with no instant twice. Generated
// organizations and windows (up to 6 years, up to 2,000 accounts, 1 to 30
// Regions, starts at any second).
func TestSplitKeepsEveryQueryUnderThePartitionLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 20))
	for i := range 500 {
		start := jan.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		end := start.Add(time.Duration(1 + r.Int64N(int64(6*365*24*time.Hour)))).Truncate(time.Second).Add(time.Second)
		accounts, regions := 1+r.IntN(2000), 1+r.IntN(30)
		p := Plan{Window: Window{Start: start, End: end}}
		parts, err := p.Split(accounts, regions)
		if accounts*regions*2 > MaxPartitions {
			if err == nil {
				t.Fatalf("case %d: %d×%d split without error", i, accounts, regions)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		at := start
		for _, q := range parts {
			if !q.Window.Start.Equal(at) || !q.Window.Start.Before(q.Window.End) {
				t.Fatalf("case %d: window %v..%v after %v", i, q.Window.Start, q.Window.End, at)
			}
			if n := q.Partitions(accounts, regions); n > MaxPartitions {
				t.Fatalf("case %d: %d accounts, %d Regions, %v..%v: %d partitions", i, accounts, regions, q.Window.Start, q.Window.End, n)
			}
			at = q.Window.End
		}
		if !at.Equal(end) {
			t.Fatalf("case %d: windows end at %v, want %v", i, at, end)
		}
		if whole := p.Partitions(accounts, regions); whole <= MaxPartitions && len(parts) != 1 {
			t.Fatalf("case %d: %d partitions cut into %d queries", i, whole, len(parts))
		}
	}
}

// The named accounts and Regions count, not the table's; a day past the
// limit is an error that says what to name.
func TestSplitCases(t *testing.T) {
	two := Plan{Window: Window{Start: jan, End: jan.AddDate(2, 0, 0)}}
	if parts, _ := two.Split(150, 17); len(parts) != 2 {
		t.Errorf("2 years of 150 accounts in 17 Regions: %d queries, want 2", len(parts))
	}
	named := two
	named.Accounts = []string{"111111111111"}
	if parts, _ := named.Split(150, 17); len(parts) != 1 {
		t.Errorf("2 years of one named account: %d queries, want 1", len(parts))
	}
	if _, err := two.Split(40000, 30); err == nil || !strings.Contains(err.Error(), "--accounts") {
		t.Errorf("a day past the limit: %v", err)
	}
}
