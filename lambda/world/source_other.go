//go:build !linux

package world

import "sync"

// mapSource maps nothing: world files are read (source.go).
func mapSource(string) (*source, bool, error) { return nil, false, nil }

var unmapped sync.Map
