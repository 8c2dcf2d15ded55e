package world

import "os"

// source is the bytes of a world file that lazily held lists (lazy.go)
// refer to: a large file on Linux is mapped rather than read (source_linux.go),
// which on a virtual machine costs a tenth of reading it into fresh memory,
// and unmapped once nothing refers to it.
type source struct {
	b []byte
}

// mapMin is the size from which a world file is mapped.
const mapMin = 1 << 20

// readSource reads the world file at path.
func readSource(path string) (*source, error) {
	if s, ok, err := mapSource(path); ok || err != nil {
		return s, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &source{b: b}, nil
}
