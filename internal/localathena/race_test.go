//go:build race

package localathena

func init() { buildFlags = append(buildFlags, "-race") }
