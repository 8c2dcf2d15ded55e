//go:build race

package notify

// raceEnabled: under the race detector the largest message sweeps are left to
// make test's run without it (they take minutes there and add nothing the
// detector can see: one goroutine).
const raceEnabled = true
