// Package cloudtrail reads CloudTrail records in every shape the guardrail
// accepts (EventBridge events, bare records, log files, JSON lines, gzip),
// streaming and leniently, skipping the records of events out of scope
// without decoding them. Each event kind reads its own request and response
// from a Record (lambda/verify/kind_*.go) with this package's lenient types.
//
// CloudTrail's wire shapes (items wrappers, lowercase keys, numbers and
// booleans as strings) are read with String, Flag and Items: nothing is
// decoded into AWS SDK types.
package cloudtrail
