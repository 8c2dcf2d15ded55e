package world

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrganizationsMaxResults is ListAccounts' largest page: "Valid Range:
// Minimum value of 1. Maximum value of 20." (Organizations API Reference,
// ListAccounts). AWS states no default; the world pages by this.
const OrganizationsMaxResults = 20

// Organizations answers ListAccounts to one calling account.
type Organizations struct {
	world   *World
	account string
}

// Organizations returns the Organizations view of the calling account.
func (w *World) Organizations(account string) *Organizations {
	return &Organizations{world: w, account: account}
}

// ListAccounts answers the organization's accounts in the order the world
// lists them, to the management account and to delegated administrators.
// Without an organization, or to an account outside it, the answer is
// AWSOrganizationsNotInUseException; to another member, AccessDeniedException.
func (o *Organizations) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	org := o.world.Organization
	if org == nil || (o.account != org.ManagementAccountID && !slices.ContainsFunc(org.Accounts, func(a orgtypes.Account) bool { return aws.ToString(a.Id) == o.account })) {
		return nil, &orgtypes.AWSOrganizationsNotInUseException{Message: aws.String("Your account is not a member of an organization.")}
	}
	if o.account != org.ManagementAccountID && !slices.Contains(org.DelegatedAdministrators, o.account) {
		return nil, &orgtypes.AccessDeniedException{Message: aws.String(fmt.Sprintf("You don't have permissions to access this resource: account %s is neither the management account nor a delegated administrator.", o.account))}
	}
	if in == nil {
		in = &organizations.ListAccountsInput{}
	}
	limit := int32(OrganizationsMaxResults)
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > OrganizationsMaxResults {
			return nil, &orgtypes.InvalidInputException{Reason: orgtypes.InvalidInputExceptionReasonMaxValueExceeded,
				Message: aws.String(fmt.Sprintf("MaxResults must be between 1 and %d.", OrganizationsMaxResults))}
		}
		limit = *in.MaxResults
	}
	offset := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		var ok bool
		if offset, ok = readToken(tok, 0); !ok || offset > len(org.Accounts) {
			return nil, &orgtypes.InvalidInputException{Reason: orgtypes.InvalidInputExceptionReasonInvalidPaginationToken,
				Message: aws.String("The NextToken is not valid.")}
		}
	}
	end := min(offset+int(limit), len(org.Accounts))
	out := &organizations.ListAccountsOutput{Accounts: slices.Clone(org.Accounts[offset:end])}
	for i, a := range out.Accounts {
		if a.Arn == nil && org.ID != "" {
			out.Accounts[i].Arn = aws.String(fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", org.ManagementAccountID, org.ID, aws.ToString(a.Id)))
		}
	}
	if end < len(org.Accounts) {
		out.NextToken = aws.String(makeToken(end, 0))
	}
	return out, nil
}
