package main

import "testing"

// skipLong skips, under `go test -short`, an end-to-end test that takes
// seconds (a whole audit, capture or Security Hub round trip through
// localaws, with the SDK's retries): the quick loop a contributor runs while
// editing. `make test` and CI run them (docs/testing.md).
func skipLong(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end through localaws; run without -short (make test, CI)")
	}
}
