package world

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
)

// decodeShape decodes the fields of every Region (already split by Parse's
// check of their names) into a World, the large lists in parallel: a world
// of tens of thousands of volumes loads in a fraction of the time one
// decoder takes.
func decodeShape(accounts map[string]map[string]map[string]json.RawMessage, org map[string]json.RawMessage) (*World, error) {
	w := &World{}
	type job struct {
		where string
		raw   json.RawMessage
		into  any
	}
	var jobs []job
	if accounts != nil {
		w.Accounts = make(map[string]map[string]*Region, len(accounts))
	}
	for acct, regions := range accounts {
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
			r := &Region{}
			w.Accounts[acct][name] = r
			for field, raw := range fields {
				where := fmt.Sprintf("accounts.%s.%s.%s", acct, name, field)
				jobs = append(jobs, job{where, raw, regionField(r, field)})
			}
		}
	}
	if org != nil {
		w.Organization = &Organization{}
		b, err := json.Marshal(org)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{"organization", b, w.Organization})
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.into == nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := json.Unmarshal(j.raw, j.into); err != nil {
				errs[i] = fmt.Errorf("%s: %w", j.where, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return w, nil
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
	case "images":
		return &r.Images
	case "snapshots":
		return &r.Snapshots
	case "instances":
		return &r.Instances
	case "volumes":
		return &r.Volumes
	case "launchTemplateVersions":
		return &r.LaunchTemplateVersions
	case "later":
		return &r.Later
	case "events":
		return &r.Events
	}
	return nil
}
