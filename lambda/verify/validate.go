package verify

import (
	"regexp"
)

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// Region names: us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1, ...
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]{2,10}){1,3}-[0-9]{1,2}$`)
)

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return accountPattern.MatchString(s) }

// ValidRegion reports whether s is shaped like a real AWS Region name.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }
