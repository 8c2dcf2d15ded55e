package verify

// EC2's limits on one Describe request. A launch of hundreds of instances, or
// an AMI with many snapshots, is split into requests within them.
// TODO(limits): confirmed against lambda/world's documented constants by TestLimitsMatchWorld.
const (
	// maxIDsPerCall bounds the IDs (ImageIds, SnapshotIds, VolumeIds) of one call.
	maxIDsPerCall = 200
	// maxFilterValues bounds the values of one filter.
	maxFilterValues = 200
)

// chunks splits ids into slices of at most n.
func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
