//go:build race

package main

// raceEnabled: under the race detector the simulation runs fewer seeds
// (make test runs its thousands without it).
const raceEnabled = true
