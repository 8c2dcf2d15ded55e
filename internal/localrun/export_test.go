package localrun

// PickPortsWith makes StartFunction pick its ports with pick until the
// returned function restores the default.
func PickPortsWith(pick func(next func() (string, string, error)) (string, string, error)) (restore func()) {
	old := pickPorts
	pickPorts = func() (string, string, error) { return pick(old) }
	return func() { pickPorts = old }
}
