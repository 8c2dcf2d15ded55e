// Package rules decides which KMS key a new EBS volume or snapshot gets, which
// key the caller intended, and which findings follow from the difference.
//
// It encodes the decision tables of the project's spec (spec/rules.md), which
// restate the EC2 user guide's "Use encryption with EBS-backed AMIs" page:
//
//	https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
//
// and, where other pages disagree, records the disagreement as accepted
// alternatives (see alternatives.go):
//
//	https://docs.aws.amazon.com/ebs/latest/userguide/encryption-examples.html
//
// The package is pure: standard library only, no I/O, no logging. Key
// references are compared only after a lookup outside this package has
// resolved them to key ARNs.
package rules
