package world

import (
	"os"
	"reflect"
	"runtime"
	"sync"
	"syscall"
)

// mapSource maps a world file of mapMin bytes or more, read-only and
// private, its pages loaded at once; false for a smaller file, or one that
// does not map (read instead). The mapping goes when the source is no longer
// referred to. A file truncated while it is mapped makes reading the lost
// pages fault: world files are not written while a replay reads them.
func mapSource(path string) (*source, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < mapMin || int64(int(st.Size())) != st.Size() {
		return nil, false, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, false, nil
	}
	s := &source{b: b}
	runtime.AddCleanup(s, func(b []byte) {
		addr := reflect.ValueOf(b).Pointer()
		if syscall.Munmap(b) == nil {
			unmapped.Store(addr, true)
		}
	}, b)
	return s, true, nil
}

// unmapped holds the addresses of the mappings unmapped (for a test).
var unmapped sync.Map
