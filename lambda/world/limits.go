package world

import (
	"fmt"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// EC2's limits on one Describe call, enforced by the EC2 fake so that replay
// against a world and localaws reject an oversized request as EC2 does.
//
// The EC2 API Reference documents FilterLimitExceeded among its client error
// codes (HTTP 400; "Error codes for the Amazon EC2 API",
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
// The numbers below are the ones EC2 states in that error's message, as users
// of DescribeInstances and DescribeTags have reported them
// (github.com/gjbae1212/gossm issues 31 and 47, apache/druid#1954,
// convox/rack#2205, ansible/ansible#16184,
// ansible-collections/amazon.aws#2393): "The maximum number of filter values
// specified on a single call is 200" and "The maximum length for a filter
// value is 255 characters".
//
// Not enforced, because nothing documents them: a maximum number of IDs
// (ImageId.N, SnapshotId.N, VolumeId.N, InstanceId.N) for DescribeImages,
// DescribeSnapshots, DescribeVolumes and DescribeInstances (the API Reference
// states such a maximum only for other actions, e.g. 100 instance IDs for
// DescribeInstanceStatus, 1,000 for DescribeInstanceCreditSpecifications),
// and a maximum number of filters per call.
const (
	// MaxFilterValues is the most filter values, all filters of the call
	// together, that one Describe call accepts.
	MaxFilterValues = 200
	// MaxFilterValueLength is the longest filter value, in characters.
	MaxFilterValueLength = 255
	// FilterLimitExceeded is the error code EC2 answers when either is
	// exceeded.
	FilterLimitExceeded = "FilterLimitExceeded"
)

// CloudTrailLookupEventsPerSecond is LookupEvents' rate limit per account and
// Region; above it CloudTrail answers ThrottlingException. Source: CloudTrail
// API Reference, LookupEvents ("The rate of lookup requests is limited to two
// per second, per account, per Region"),
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html.
const CloudTrailLookupEventsPerSecond = 2

// checkFilters rejects filters over EC2's limits with EC2's error.
func checkFilters(filters []ec2types.Filter) error {
	n := 0
	for _, f := range filters {
		for _, v := range f.Values {
			if len([]rune(v)) > MaxFilterValueLength {
				return &smithy.GenericAPIError{Code: FilterLimitExceeded, Fault: smithy.FaultClient,
					Message: fmt.Sprintf("The maximum length for a filter value is %d characters", MaxFilterValueLength)}
			}
		}
		n += len(f.Values)
	}
	if n > MaxFilterValues {
		return &smithy.GenericAPIError{Code: FilterLimitExceeded, Fault: smithy.FaultClient,
			Message: fmt.Sprintf("The maximum number of filter values specified on a single call is %d", MaxFilterValues)}
	}
	return nil
}
