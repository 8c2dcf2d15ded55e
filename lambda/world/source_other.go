//go:build !linux

package world

// mapSource maps nothing: world files are read (source.go).
func mapSource(string) (*source, bool, error) { return nil, false, nil }
