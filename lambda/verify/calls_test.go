package verify_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/cloudtrail"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/ebsguard/ebsguard/lambda/world"
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
			w, err := world.Load(samples + name + "/world.json")
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(ev)
			if err != nil {
				t.Fatal(err)
			}
			// A sample of several records (settings changes, then the
			// record judged): every record is evaluated, its calls summed.
			items := cloudtrail.DecodeAll(b)
			history := verify.NewSettingsHistory()
			for _, it := range items {
				history.AddRecord(it.Record)
			}
			r := &recorder{World: w}
			e := verify.New(verify.Config{Clients: r, Settings: history})
			got := map[string]int{}
			for _, it := range items {
				for api, n := range e.Evaluate(context.Background(), it).Calls {
					got[api] += n
				}
			}
			want := map[string]int{}
			for _, a := range r.asked {
				api, _, _ := strings.Cut(a, " ")
				want[api]++
			}
			if !maps.Equal(got, want) {
				t.Errorf("verdicts count %v; the clients answered %v", got, want)
			}
		})
	}
}
