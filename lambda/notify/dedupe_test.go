package notify

import (
	"regexp"
	"testing"
)

var hexKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestFindingKey(t *testing.T) {
	k := findingKey("e-1", "snap-1", "UNENCRYPTED")
	if !hexKey.MatchString(k) || k != findingKey("e-1", "snap-1", "UNENCRYPTED") {
		t.Fatalf("findingKey = %q; want the same 64 hex characters each time", k)
	}
	for _, other := range [][3]string{
		{"e-2", "snap-1", "UNENCRYPTED"}, {"e-1", "snap-2", "UNENCRYPTED"}, {"e-1", "snap-1", "KEY_MISMATCH"},
		{"e-1s", "nap-1", "UNENCRYPTED"}, // parts are not simply concatenated
	} {
		if findingKey(other[0], other[1], other[2]) == k {
			t.Errorf("findingKey%q = findingKey(e-1, snap-1, UNENCRYPTED)", other)
		}
	}
}
