package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// No package of the Lambda's build looks a method up by name through
// reflection (reflect.Value.MethodByName, Value.Method): where one can be
// reached, the linker keeps every exported method of every type in the
// binary, the EC2 client's hundreds of operations included. The in-process
// SDK clients once did, and the bootstrap grew from 15 to 57 MB, its init
// phase with it.
func TestNoReflectiveMethodLookupInTheBuild(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if eq .Module.Path \"github.com/ebsguard/ebsguard\"}}{{.Dir}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range strings.Fields(string(out)) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), ".MethodByName(") {
				t.Errorf("%s looks a method up by name through reflection", f)
			}
		}
	}
}
