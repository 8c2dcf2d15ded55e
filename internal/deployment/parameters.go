package deployment

import "strconv"

// Parameter is a stack parameter both deployments declare alike.
type Parameter struct {
	Name           string
	Default        string
	Description    string
	AllowedPattern string
	AllowedValues  []string
}

// Central (and SAM) stack parameters beyond the policy and e-mail ones.
var (
	RecheckDeadlineParameter = Parameter{
		Name:    "RecheckDeadline",
		Default: DefaultRecheckDeadline,
		Description: "How long a result that is not visible yet is checked again before the verdict is an error " +
			"(a Go duration such as 49h; at most " + strconv.Itoa(int(MaxRecheckDeadline.Hours())) + "h" + ", the re-check queue's retention less a day)",
		AllowedPattern: DurationPattern,
	}
	EnableSecurityHubParameter = Parameter{
		Name:          "EnableSecurityHub",
		Default:       "false",
		Description:   "true imports findings into Security Hub in this account and Region (the role then may call BatchImportFindings)",
		AllowedValues: []string{"true", "false"},
	}
)

// SecurityHubCondition is the condition, in both templates, that holds when
// EnableSecurityHub is "true"; the Security Hub policy exists only then.
const SecurityHubCondition = "SecurityHubEnabled"

// Member stack: who besides the central function may assume the reader role.
var AuditorRoleParameter = Parameter{
	Name: "AuditorRoleArn",
	Description: "Optional: a role (in the organization) that may also assume the reader role, " +
		"for a security engineer running `ebsguard audit` or `replay` against live accounts; empty for none",
	AllowedPattern: `^$|^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`,
}

// AuditorCondition holds when AuditorRoleArn is set.
const AuditorCondition = "HasAuditor"
