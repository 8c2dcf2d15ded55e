package verify

// EC2's limits on one Describe request. A launch of hundreds of instances, or
// an AMI with many snapshots, is split into requests within them.
const (
	// maxFilterValues is EC2's limit on the filter values of one call (its
	// FilterLimitExceeded error says 200; lambda/world enforces the same and
	// TestLimitsMatchWorld holds the two together).
	maxFilterValues = 200
	// maxIDsPerCall bounds the snapshot IDs of one DescribeSnapshots call. EC2
	// documents no limit on IDs; 1,000 is the most one page of
	// DescribeSnapshots returns (MaxResults), so an answer fits one page.
	maxIDsPerCall = 1000
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
