// Package audit evaluates past calls from CloudTrail event history against
// live state, over many accounts and Regions: which accounts (named, or the
// organization's), which Regions (named, or every Region of the partition),
// and the run itself, accounts and Regions at once within bounds, each
// event through the same engine as replay and the Lambda.
package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// OrganizationsAPI is the part of Organizations the audit calls.
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, opts ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

var _ OrganizationsAPI = (*organizations.Client)(nil)

// RegionsAPI is the part of EC2 the audit calls in the caller's own account.
type RegionsAPI interface {
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

var _ RegionsAPI = (*ec2.Client)(nil)

// ErrAccountsNotListed is the error of OrganizationAccounts when the caller
// may not list the organization's accounts.
var ErrAccountsNotListed = errors.New("cannot list the organization's accounts")

// OrganizationAccounts lists the IDs of the organization's active accounts,
// in the order Organizations gives them. Only the management account and a
// delegated administrator may call ListAccounts; for anyone else the error
// wraps ErrAccountsNotListed and says how to name the accounts instead.
func OrganizationAccounts(ctx context.Context, api OrganizationsAPI) ([]string, error) {
	var out []string
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				switch ae.ErrorCode() {
				case "AccessDeniedException", "AWSOrganizationsNotInUseException":
					return nil, fmt.Errorf("%w (%s): run from the management account or a delegated administrator, with organizations:ListAccounts, or name the accounts: --accounts 111111111111,222222222222", ErrAccountsNotListed, ae.ErrorMessage())
				}
			}
			return nil, fmt.Errorf("list the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			if id := aws.ToString(a.Id); active(a) && verify.ValidAccount(id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// active tells an account that can be read: its State is ACTIVE, or, from an
// endpoint that gives no State yet, its Status (which AWS retires in favour
// of State). Suspended, closing and not yet activated accounts are left out.
func active(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// Region is a Region of the partition, as DescribeRegions describes it to
// the caller's own account.
type Region struct {
	Name string
	// OptInStatus is the caller's own: opt-in-not-required, opted-in or
	// not-opted-in. Other accounts may have enabled other Regions.
	OptInStatus string
}

// EnabledForCaller reports whether the caller's own account may use it.
func (r Region) EnabledForCaller() bool { return r.OptInStatus != "not-opted-in" }

// PartitionRegions lists every Region of the caller's partition, enabled in
// its account or not (DescribeRegions with AllRegions), sorted by name. It
// needs ec2:DescribeRegions in the caller's own account, and nothing in the
// other accounts.
func PartitionRegions(ctx context.Context, api RegionsAPI) ([]Region, error) {
	out, err := api.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("list the partition's Regions with ec2:DescribeRegions (or name them: --regions us-east-1,eu-west-1): %w", err)
	}
	var rs []Region
	for _, r := range out.Regions {
		if name := aws.ToString(r.RegionName); verify.ValidRegion(name) {
			rs = append(rs, Region{Name: name, OptInStatus: aws.ToString(r.OptInStatus)})
		}
	}
	slices.SortFunc(rs, func(a, b Region) int { return cmp.Compare(a.Name, b.Name) })
	return rs, nil
}

// Target is one account and Region to audit.
type Target struct {
	Account, Region string
	// Discovered marks a Region that comes from --regions all rather than
	// from the user: that the account has not enabled it is expected.
	Discovered bool
}

// Targets plans the audit: every account in every Region, accounts in the
// given order. With named Regions, each is audited everywhere. With
// discovered ones (the partition's), the caller's own account is audited only
// where it has enabled the Region (DescribeRegions said so); other accounts
// everywhere, since an account may have enabled a Region the caller has not.
func Targets(accounts []string, own string, named []string, discovered []Region) []Target {
	var out []Target
	for _, a := range accounts {
		for _, r := range named {
			out = append(out, Target{Account: a, Region: r})
		}
		for _, r := range discovered {
			if a == own && !r.EnabledForCaller() {
				continue
			}
			out = append(out, Target{Account: a, Region: r.Name, Discovered: true})
		}
	}
	return out
}
