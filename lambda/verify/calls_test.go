package verify_test

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// The calls a verdict counts (the AWSCalls metric) are exactly the calls the
// clients answered, API by API, for every sample: the counting step on the
// SDK stack sees a fake's calls as it sees AWS's.
func TestCallsCountedOnTheStack(t *testing.T) {
	dirs, _ := filepath.Glob(samples + "*/event.json")
	if len(dirs) == 0 {
		t.Fatal("no samples")
	}
	for _, ev := range dirs {
		name := filepath.Base(filepath.Dir(ev))
		t.Run(name, func(t *testing.T) {
			w, it := load(t, name)
			r := &recorder{World: w}
			v := verify.New(verify.Config{Clients: r}).Evaluate(context.Background(), it)
			want := map[string]int{}
			for _, a := range r.asked {
				api, _, _ := strings.Cut(a, " ")
				want[api]++
			}
			if !maps.Equal(v.Calls, want) {
				t.Errorf("verdict counts %v; the clients answered %v", v.Calls, want)
			}
		})
	}
}
