package world

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
)

// decodeShape decodes the fields of every Region (already split by Parse's
// check of their names) into a World, in parallel: the resource lists are
// held lazily (lazy.go), and the other fields decoded, a large list in
// parts.
func decodeShape(s *docShape) (*World, error) {
	w := &World{}
	type job struct {
		where string
		raw   json.RawMessage
		into  any
		lazy  lazySlot
	}
	var jobs []job
	var lazies []*Region
	if s.Accounts != nil {
		w.Accounts = make(map[string]map[string]*Region, len(s.Accounts))
	}
	for acct, regions := range s.Accounts {
		if regions == nil {
			w.Accounts[acct] = nil
			continue
		}
		w.Accounts[acct] = make(map[string]*Region, len(regions))
		for name, fields := range regions {
			if fields == nil {
				w.Accounts[acct][name] = nil
				continue
			}
			r := &Region{lazy: s.lazy[[2]string{acct, name}]}
			if r.lazy == nil {
				r.lazy = &lazyRegion{}
			}
			lazies = append(lazies, r)
			w.Accounts[acct][name] = r
			for field, raw := range fields {
				where := fmt.Sprintf("accounts.%s.%s.%s", acct, name, field)
				if slot := lazyField(r.lazy, field); slot != nil {
					if !slot.held() { // not read by fastShape: a valid value, from the decoder
						slot.scan(&walker{b: raw, src: &source{b: raw}})
					}
					if slot.held() {
						jobs = append(jobs, job{where: where, lazy: slot})
						continue
					}
				}
				jobs = append(jobs, job{where: where, raw: raw, into: regionField(r, field)})
			}
		}
	}
	if s.Organization != nil {
		w.Organization = &Organization{}
		b, err := json.Marshal(s.Organization)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{where: "organization", raw: b, into: w.Organization})
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		switch {
		case j.lazy != nil:
			wg.Go(func() { errs[i] = j.lazy.settle(j.where) })
		case j.into != nil:
			wg.Go(func() {
				if err := decodeList(j.raw, j.into, sem); err != nil {
					errs[i] = fmt.Errorf("%s: %w", j.where, err)
				}
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, r := range lazies {
		if r.lazy.empty() {
			r.lazy = nil
		}
	}
	return w, nil
}

// chunkBytes is the size of a list's part decoded on its own.
const chunkBytes = 1 << 20

// decodeList decodes raw into into; a large JSON array of objects is split
// into parts decoded in parallel (at most cap(sem) at once), then joined in
// order.
func decodeList(raw json.RawMessage, into any, sem chan struct{}) error {
	parts := splitArray(raw, chunkBytes)
	rv := reflect.ValueOf(into).Elem()
	if len(parts) < 2 || rv.Kind() != reflect.Slice {
		sem <- struct{}{}
		defer func() { <-sem }()
		return json.Unmarshal(raw, into)
	}
	out := make([]reflect.Value, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v := reflect.New(rv.Type())
			errs[i] = json.Unmarshal(p, v.Interface())
			out[i] = v.Elem()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	n := 0
	for _, v := range out {
		n += v.Len()
	}
	all := reflect.MakeSlice(rv.Type(), 0, n)
	for _, v := range out {
		all = reflect.AppendSlice(all, v)
	}
	rv.Set(all)
	return nil
}

// splitArray cuts a JSON array into arrays of about size bytes each, between
// its elements, with one pass over the bytes that tracks only nesting and
// strings. It returns nil when raw is not an array or is small; a malformed
// array is left for the decoder to report.
func splitArray(raw []byte, size int) [][]byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2*size || raw[0] != '[' {
		return nil
	}
	var parts [][]byte
	depth, inString, escaped := 0, false, false
	start := 1 // first byte of the current part's elements
	for i, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 1 && i-start >= size:
			parts = append(parts, append(append([]byte{'['}, raw[start:i]...), ']'))
			start = i + 1
		}
	}
	if depth != 0 || inString || len(parts) == 0 {
		return nil
	}
	return append(parts, append([]byte{'['}, raw[start:]...))
}

// regionField is where a Region's field of the file goes (the names Parse
// checked: regionFields).
func regionField(r *Region, name string) any {
	switch name {
	case "ebsEncryptionByDefault":
		return &r.EBSEncryptionByDefault
	case "ebsDefaultKmsKeyId":
		return &r.EBSDefaultKMSKeyID
	case "keys":
		return &r.Keys
	case "later":
		return &r.Later
	case "events":
		return &r.Events
	}
	if l := listNamed(name); l != nil {
		return l.decodeInto(r)
	}
	return nil
}
