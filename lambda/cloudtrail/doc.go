// Package cloudtrail reads CloudTrail records in every shape the guardrail
// accepts (EventBridge events, bare records, log files, JSON lines, gzip),
// streaming and leniently, and translates CopyImage and RunInstances records
// into the requests the rules reason about.
//
// CloudTrail's wire shapes (items wrappers, lowercase keys, numbers and
// booleans as strings) stay in this package: nothing here is decoded into
// AWS SDK types.
package cloudtrail
