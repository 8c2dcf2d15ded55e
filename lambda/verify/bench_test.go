package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// BenchmarkEvaluate measures one RunInstances and one CopyImage evaluation
// against a world file, with the warm-Lambda cache on.
func BenchmarkEvaluate(b *testing.B) {
	for _, sample := range []string{"launch-encrypted-shared", "copy-encrypted-owned-cross-region"} {
		b.Run(sample, func(b *testing.B) {
			w, it := load(b, sample)
			e := verify.New(verify.Config{Clients: w, CacheTTL: time.Minute})
			b.ReportAllocs()
			for b.Loop() {
				if v := e.Evaluate(context.Background(), it); v.Status != verify.StatusViolation {
					b.Fatalf("status %s: %s", v.Status, v.Reason)
				}
			}
		})
	}
}
