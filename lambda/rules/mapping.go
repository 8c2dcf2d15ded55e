package rules

// Mapping is one block device mapping, from an AMI, a launch template or a
// RunInstances request, reduced to what decides encryption.
type Mapping struct {
	DeviceName  string
	VirtualName string // instance store: no key, not checked
	NoDevice    bool   // removes the device
	SnapshotID  string
	Encrypted   Flag
	KMSKeyID    string // as written: key ID, key ARN, alias name or alias ARN
}

// InstanceStore reports whether the mapping is an instance-store volume.
func (m Mapping) InstanceStore() bool { return m.VirtualName != "" }

// MergeMappings applies launch-template and request mappings over the AMI's,
// device by device and field by field (spec/rules.md, RunInstances): a later
// layer replaces the mapping of the same device, but one without a snapshot
// keeps the snapshot the device had, and one that sets neither Encrypted nor
// a key keeps the encryption parameters the device had (an AMI's empty
// mapping may carry its own Encrypted); NoDevice removes the device. The result keeps the AMI's
// order, then devices in the order the later layers add them, and contains
// no NoDevice entries.
func MergeMappings(layers ...[]Mapping) []Mapping {
	var out []Mapping
	index := map[string]int{}
	for _, layer := range layers {
		for _, m := range layer {
			i, ok := index[m.DeviceName]
			if !ok {
				index[m.DeviceName] = len(out)
				out = append(out, m)
				continue
			}
			if m.VirtualName == "" && !m.NoDevice {
				if m.SnapshotID == "" {
					m.SnapshotID = out[i].SnapshotID
				}
				if m.Encrypted == Omitted && m.KMSKeyID == "" {
					m.Encrypted, m.KMSKeyID = out[i].Encrypted, out[i].KMSKeyID
				}
			}
			out[i] = m
		}
	}
	kept := out[:0]
	for _, m := range out {
		if !m.NoDevice {
			kept = append(kept, m)
		}
	}
	return kept
}
