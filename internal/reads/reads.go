// Package reads finds, by type-checking Go packages, which fields of which
// struct types their code reads: every selector x.F whose F is a field. It
// derives capture's allow-lists from the engine (lambda/capture's tests hold
// world.Kept and verify's record shapes to it). It is used by tests only,
// and needs the go command (for export data).
package reads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Field is a field of a named struct type: "ec2/types.Image.ImageId" as
// Package (import path), Type and Name.
type Field struct{ Package, Type, Name string }

func (f Field) String() string { return f.Package + "." + f.Type + "." + f.Name }

// Call is a call of a method (Package.Type.Method) with the static type of
// its arguments.
type Call struct {
	Method string // "Package.Type.Method"
	Args   []types.Type
}

// Result is what the packages read.
type Result struct {
	Fields map[Field][]token.Position // where each field is read
	Calls  []Call
}

type pkgInfo struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
}

// Packages type-checks the packages (import patterns, from dir) from their
// non-test sources and returns the fields they read and the method calls
// they make.
func Packages(dir string, patterns ...string) (*Result, error) {
	args := append([]string{"list", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	exports := map[string]string{}
	byPath := map[string]pkgInfo{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		exports[p.ImportPath] = p.Export
		byPath[p.ImportPath] = p
	}
	cmd = exec.Command("go", append([]string{"list"}, patterns...)...)
	cmd.Dir = dir
	roots, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v: %w", patterns, err)
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	res := &Result{Fields: map[Field][]token.Position{}}
	for _, path := range strings.Fields(string(roots)) {
		p := byPath[path]
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}, Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(path, fset, files, info); err != nil {
			return nil, fmt.Errorf("type-check %s: %w", path, err)
		}
		for sel, s := range info.Selections {
			switch s.Kind() {
			case types.FieldVal:
				if f, ok := owner(s); ok {
					res.Fields[f] = append(res.Fields[f], fset.Position(sel.Sel.Pos()))
				}
			}
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				s := info.Selections[sel]
				if s == nil || s.Kind() != types.MethodVal {
					return true
				}
				fn := s.Obj().(*types.Func)
				recv := fn.Type().(*types.Signature).Recv()
				if recv == nil {
					return true
				}
				named := namedOf(recv.Type())
				if named == nil || named.Obj().Pkg() == nil {
					return true
				}
				c := Call{Method: named.Obj().Pkg().Path() + "." + named.Obj().Name() + "." + fn.Name()}
				for _, a := range call.Args {
					c.Args = append(c.Args, info.Types[a].Type)
				}
				res.Calls = append(res.Calls, c)
				return true
			})
		}
	}
	return res, nil
}

// owner returns the field a selection reads, named by the struct type that
// declares it (through embedded fields).
func owner(s *types.Selection) (Field, bool) {
	t := s.Recv()
	idx := s.Index()
	for i, n := range idx {
		named := namedOf(t)
		st, ok := deref(t).Underlying().(*types.Struct)
		if !ok || n >= st.NumFields() {
			return Field{}, false
		}
		f := st.Field(n)
		if i == len(idx)-1 {
			if named == nil || named.Obj().Pkg() == nil {
				return Field{}, false
			}
			return Field{Package: named.Obj().Pkg().Path(), Type: named.Obj().Name(), Name: f.Name()}, true
		}
		t = f.Type()
	}
	return Field{}, false
}

func deref(t types.Type) types.Type {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

func namedOf(t types.Type) *types.Named {
	n, _ := types.Unalias(deref(types.Unalias(t))).(*types.Named)
	return n
}
