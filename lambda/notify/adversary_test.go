package notify

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// escapeHeavy is text whose encoded form is many times its length: JSON
// escapes the HTML characters and controls (6 bytes each), the structured
// message escapes the verdict JSON again, and the e-mail and chat texts
// repeat it.
func escapeHeavy(r *rand.Rand, n int) string {
	alphabet := []string{"<", ">", "&", `"`, `\`, "\u2028", "\x01", "é", "😀", "a", "\n"}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// An adversary's record: every free-text field of a verdict filled with
// escape-heavy text, at sizes swept across SNS's limit, for notices and for
// violations of 1 to 60 resources (TestMessagesWithinSNSLimit has the
// largest launches). Before Fit cut strings, every size from 60 KB on failed
// with "verdict too large for SNS even when cut": each attempt, then the
// dead-letter queue. Every message (MessageStructure json,
// with its subject and attributes) stays within 256 KB, and every part of a
// violation holds its findings once.
func TestAdversarialMessagesWithinSNSLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 256))
	sizes := []int{0, 1 << 10, 60 << 10, 120 << 10, 256 << 10, 300 << 10}
	for _, size := range sizes {
		// -short keeps one size of each regime (fits, over the limit at
		// once, over it only when escaped): 60 KB and 256 KB add time, not
		// another regime.
		if testing.Short() && (size == 60<<10 || size == 256<<10) {
			continue
		}
		for _, n := range []int{1, 7, 60} {
			if (testing.Short() || raceEnabled) && n > 7 {
				continue
			}
			for _, status := range []string{verify.StatusError, verify.StatusViolation} {
				t.Run(fmt.Sprintf("%s/%dB/%d", status, size, n), func(t *testing.T) {
					v := bigVerdict(n, 1, status)
					v.Principal = escapeHeavy(r, size)
					v.EventID = escapeHeavy(r, min(size, 4096))
					v.Reason = escapeHeavy(r, size)
					v.Warnings = []string{escapeHeavy(r, size/2), escapeHeavy(r, size/3)}
					for i := range v.Resources {
						v.Resources[i].Source = escapeHeavy(r, size/max(n, 1))
					}
					for i := range v.Findings {
						v.Findings[i].Message = escapeHeavy(r, size/max(2*n, 1))
					}
					parts := []verify.Verdict{v}
					if status == verify.StatusViolation {
						parts = Parts(v)
					}
					count := map[string]int{}
					for _, p := range parts {
						if got := messageSize(t, p); got > snsLimit {
							t.Errorf("message of %d bytes; SNS takes %d", got, snsLimit)
						}
						for _, f := range p.Findings {
							count[f.Resource+" "+f.Code]++
						}
					}
					if status == verify.StatusViolation && len(count) != len(v.Findings) {
						t.Errorf("parts hold %d distinct findings of %d", len(count), len(v.Findings))
					}
					for k, c := range count {
						if c != 1 {
							t.Errorf("%s in %d parts", k, c)
						}
					}
				})
			}
		}
	}
}
