package deployment

import (
	"fmt"
	"strings"
	"testing"
	"testing/quick"
)

// Whatever the registry holds, the function's description fits Lambda's 256
// characters, and names every call when they fit: for generated lists of
// calls of every length.
func TestFunctionDescriptionFits(t *testing.T) {
	f := func(n uint8, width uint8) bool {
		calls := make([]string, int(n)%40)
		for i := range calls {
			calls[i] = fmt.Sprintf("Call%0*d", 1+int(width)%30, i)
		}
		d := functionDescription(calls)
		if len(d) > MaxFunctionDescription {
			t.Logf("%d calls of %d characters: %d characters", len(calls), 1+int(width)%30, len(d))
			return false
		}
		named := true
		for _, c := range calls {
			named = named && strings.Contains(d, c)
		}
		counted := strings.Contains(d, fmt.Sprintf("%d EC2 and EBS calls", len(calls)))
		return named != counted || len(calls) == 0
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}
