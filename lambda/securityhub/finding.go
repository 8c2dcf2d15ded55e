// Package securityhub maps verdicts to AWS Security Finding Format (ASFF)
// findings and imports them into Security Hub with BatchImportFindings.
//
// One finding per event, resource and code, with an Id that depends on
// nothing else: a re-check or a replay of the same event updates the same
// finding. Findings are imported into the account and Region where the
// function (or the CLI's caller) runs, under that account's default product;
// the member account that owns the resource is kept in the resource ARNs,
// the Other details and ProductFields.
package securityhub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/ebsguard/ebsguard/lambda/printable"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Limits of the ASFF (API reference, AwsSecurityFinding, Recommendation,
// ProductFields; SDK types documentation).
const (
	schemaVersion   = "2018-10-08"
	maxID           = 512  // Id, GeneratorId
	maxTitle        = 256  // Title
	maxDescription  = 1024 // Description
	maxRemediation  = 512  // Remediation.Recommendation.Text
	maxProductValue = 2048 // a ProductFields value (key up to 128)
	maxOtherValue   = 1023 // an Other details value: "less than 1024 characters"
)

// findingType is the one ASFF type of every finding: a configuration check
// against a security best practice ("Types taxonomy for ASFF").
const findingType = "Software and Configuration Checks/AWS Security Best Practices"

// Env is where findings are imported: the account and Region where the
// function or the caller runs, not the member account of the resource.
type Env struct {
	Partition string // aws, aws-cn, aws-us-gov, ...
	Region    string
	Account   string
	// Now is UpdatedAt; zero means time.Now.
	Now time.Time
}

var callerARN = regexp.MustCompile(`^arn:(aws[a-z-]*):(sts|iam)::(\d{12}):`)

// EnvFromCaller builds the Env from the caller identity's ARN (STS
// GetCallerIdentity) and the Region of the client: the partition and the
// account come from the ARN.
func EnvFromCaller(arn, region string, now time.Time) (Env, error) {
	m := callerARN.FindStringSubmatch(arn)
	if m == nil {
		return Env{}, fmt.Errorf("securityhub: caller ARN %q names no partition and account", arn)
	}
	if !verify.ValidRegion(region) {
		return Env{}, fmt.Errorf("securityhub: invalid Region %q", region)
	}
	return Env{Partition: m[1], Region: region, Account: m[3], Now: now}, nil
}

// ProductARN is the account's default product: BatchImportFindings accepts
// it only from that account, with AwsAccountId set to it.
func (e Env) ProductARN() string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", e.Partition, e.Region, e.Account, e.Account)
}

func (e Env) check() error {
	if e.Partition == "" || !verify.ValidRegion(e.Region) || !verify.ValidAccount(e.Account) {
		return fmt.Errorf("securityhub: incomplete import target: partition %q, Region %q, account %q", e.Partition, e.Region, e.Account)
	}
	return nil
}

// Key identifies one finding: an event, a resource, a finding code.
type Key struct {
	EventID, Resource, Code string
}

// ID is the finding's ASFF Id: readable when the parts allow it, else a
// hash of them; either way the same key always gives the same Id.
func (k Key) ID() string {
	id := "ebsguard/" + k.EventID + "/" + k.Resource + "/" + k.Code
	// A "/" inside a part would make two keys read alike.
	safe := len(id) <= maxID && !strings.Contains(k.EventID+k.Resource+k.Code, "/") &&
		printable.String(id) == id && k.EventID != "" && k.Resource != "" && k.Code != ""
	if safe {
		return id
	}
	h := sha256.New()
	for _, s := range []string{k.EventID, k.Resource, k.Code} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return "ebsguard/sha256/" + hex.EncodeToString(h.Sum(nil))
}

// Keys returns the keys of the findings a verdict raises, once each: what
// the caller remembers as published, to resolve them later.
func Keys(v verify.Verdict) []Key {
	var out []Key
	seen := map[Key]bool{}
	for _, f := range v.Findings {
		k := Key{v.EventID, f.Resource, f.Code}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Findings maps a verdict to ASFF findings: one FAILED finding per raised
// (event, resource, code), and one PASSED finding for each key in published
// (findings imported by an earlier check of the same event) that this
// verdict no longer raises on a resource it could judge. A resource not
// visible yet, or that could not be judged, resolves nothing: its findings
// stay as they are.
func Findings(v verify.Verdict, env Env, published []Key) ([]types.AwsSecurityFinding, error) {
	if err := env.check(); err != nil {
		return nil, err
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	m := mapper{v: v, env: env, res: map[string]verify.Resource{}}
	for _, r := range v.Resources {
		if r.Resource != "" {
			m.res[r.Resource] = r
		}
	}
	if k, ok := rules.KindByEvent(v.EventName); ok {
		m.creates, m.parent = k.Creates, k.Parent
	}

	var out []types.AwsSecurityFinding
	raised := map[Key]bool{}
	for _, f := range v.Findings {
		k := Key{v.EventID, f.Resource, f.Code}
		if raised[k] {
			continue
		}
		raised[k] = true
		out = append(out, m.raised(k, f))
	}
	for _, k := range published {
		if k.EventID != v.EventID || raised[k] {
			continue
		}
		r, ok := m.res[k.Resource]
		if !ok || r.Actual == nil || r.Error != "" {
			continue
		}
		raised[k] = true // once, even if published lists it twice
		out = append(out, m.resolved(k, r))
	}
	return out, nil
}

type mapper struct {
	parent  string // what a result belongs to: the kind's Parent
	v       verify.Verdict
	env     Env
	res     map[string]verify.Resource
	creates string // "volume" or "snapshot"
}

func (m mapper) raised(k Key, f verify.Finding) types.AwsSecurityFinding {
	r := m.res[f.Resource]
	if r.Resource == "" {
		r.Resource = f.Resource
	}
	description, fix := f.Message, f.Fix
	label := severityLabel(f.Severity)
	out := m.base(k, r)
	out.Title = aws.String(clip(title(m.creates, f.Resource, f.Code), maxTitle))
	out.Description = aws.String(nonEmpty(clip(printable.String(description), maxDescription), *out.Title))
	out.Severity = &types.Severity{Label: label, Original: aws.String(f.Severity)}
	out.FindingProviderFields = &types.FindingProviderFields{
		Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(f.Severity)},
		Types:    []string{findingType},
	}
	out.LastObservedAt = out.UpdatedAt
	out.Compliance = &types.Compliance{Status: types.ComplianceStatusFailed}
	out.Workflow = &types.Workflow{Status: types.WorkflowStatusNew}
	out.RecordState = types.RecordStateActive
	if fix = strings.TrimSpace(fix); fix != "" {
		out.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(clip(printable.String(fix), maxRemediation))}}
		out.ProductFields["ebsguard/Fix"] = clip(printable.String(fix), maxProductValue)
	}
	out.ProductFields["ebsguard/Severity"] = clip(printable.String(f.Severity), maxProductValue)
	return out
}

// resolved is the update that closes a finding a later check no longer
// raises. BatchImportFindings cannot change Workflow once a finding exists,
// so the update that counts is Compliance PASSED with RecordState ARCHIVED
// (the provider's own way to retire a finding); Workflow RESOLVED applies
// when the finding did not exist yet. Severity becomes INFORMATIONAL, as
// Security Hub's own passed checks are.
func (m mapper) resolved(k Key, r verify.Resource) types.AwsSecurityFinding {
	out := m.base(k, r)
	out.Title = aws.String(clip(fmt.Sprintf("Resolved: %s", title(m.creates, r.Resource, k.Code)), maxTitle))
	out.Description = aws.String(clip(fmt.Sprintf("A later check of the %s call (event %s) no longer raises %s on %s %s: it is %s, and rule %s applies.",
		printable.String(m.v.EventName), printable.String(m.v.EventID), printable.String(k.Code), m.kind(), printable.String(r.Resource),
		describe(r.Actual), printable.String(r.Rule)), maxDescription))
	label := types.SeverityLabelInformational
	out.Severity = &types.Severity{Label: label}
	out.FindingProviderFields = &types.FindingProviderFields{Severity: &types.FindingProviderSeverity{Label: label}, Types: []string{findingType}}
	out.Compliance = &types.Compliance{Status: types.ComplianceStatusPassed}
	out.Workflow = &types.Workflow{Status: types.WorkflowStatusResolved}
	out.RecordState = types.RecordStateArchived
	return out
}

// base fills what raised and resolved findings share.
func (m mapper) base(k Key, r verify.Resource) types.AwsSecurityFinding {
	created := m.env.Now
	if t, err := time.Parse(time.RFC3339, m.v.EventTime); err == nil {
		created = t // the potential security issue was created by the call
	}
	generator := r.Rule
	if generator == "" {
		generator = "ebsguard"
	}
	return types.AwsSecurityFinding{
		SchemaVersion:   aws.String(schemaVersion),
		Id:              aws.String(k.ID()),
		ProductArn:      aws.String(m.env.ProductARN()),
		GeneratorId:     aws.String(clip(printable.String(generator), maxID)),
		AwsAccountId:    aws.String(m.env.Account),
		Types:           []string{findingType},
		CreatedAt:       aws.String(timestamp(created)),
		FirstObservedAt: aws.String(timestamp(created)),
		UpdatedAt:       aws.String(timestamp(m.env.Now)),
		Resources:       m.resources(r),
		ProductFields:   m.productFields(k, r),
	}
}

func (m mapper) kind() string {
	if m.creates == "" {
		return "resource"
	}
	return m.creates
}

// resources are the volume or snapshot, its instance or AMI, and its key.
// Security Hub has types for volumes, instances and KMS keys; an EBS
// snapshot and an AMI have none, so they are Other, with their ARNs (which
// name no account) and the member account in their details.
func (m mapper) resources(r verify.Resource) []types.Resource {
	part := m.env.Partition
	region := m.v.Region
	account := m.v.Account
	var out []types.Resource
	if setting, ok := settingResource(m.v, r, part); ok { // settings.go
		return setting
	}
	switch m.creates {
	case "volume":
		d := &types.AwsEc2VolumeDetails{DeviceName: optional(printable.String(r.Device))}
		if strings.HasPrefix(r.Source, "snap-") {
			d.SnapshotId = aws.String(r.Source) // CopyVolumes' source is a volume
		}
		if r.Actual != nil {
			d.Encrypted = aws.Bool(r.Actual.Encrypted)
			d.KmsKeyId = optional(r.Actual.KMSKeyARN)
		}
		if m.parent == "instance" && r.Parent != "" {
			d.Attachments = []types.AwsEc2VolumeAttachment{{InstanceId: aws.String(r.Parent)}}
		}
		out = append(out, resource("AwsEc2Volume", fmt.Sprintf("arn:%s:ec2:%s:%s:volume/%s", part, region, account, r.Resource), part, region,
			&types.ResourceDetails{AwsEc2Volume: d}))
	default:
		other := map[string]string{"Type": "EBS snapshot", "AccountId": account, "SourceSnapshotId": r.Source, "DeviceName": printable.String(r.Device)}
		if r.Actual != nil {
			other["Encrypted"] = fmt.Sprint(r.Actual.Encrypted)
			other["KmsKeyId"] = r.Actual.KMSKeyARN
		}
		out = append(out, resource("Other", fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", part, region, r.Resource), part, region,
			&types.ResourceDetails{Other: others(other)}))
	}
	if r.Parent != "" && r.Parent != r.Resource {
		// The parent's ASFF type, by what the kind says it is.
		switch m.parent {
		case "instance":
			out = append(out, resource("AwsEc2Instance", fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", part, region, account, r.Parent), part, region, nil))
		case "AMI":
			out = append(out, resource("Other", fmt.Sprintf("arn:%s:ec2:%s::image/%s", part, region, r.Parent), part, region,
				&types.ResourceDetails{Other: others(map[string]string{"Type": "AMI", "AccountId": account})}))
		}
	}
	if r.Actual != nil && r.Actual.KMSKeyARN != "" {
		keyRegion := region
		var details *types.ResourceDetails
		if ref, err := rules.ParseKeyRef(r.Actual.KMSKeyARN); err == nil {
			if ref.Region != "" {
				keyRegion = ref.Region
			}
			if ref.Kind == rules.KeyARN {
				details = &types.ResourceDetails{AwsKmsKey: &types.AwsKmsKeyDetails{KeyId: aws.String(printable.String(ref.Name))}}
			}
		}
		out = append(out, resource("AwsKmsKey", r.Actual.KMSKeyARN, part, keyRegion, details))
	}
	return out
}

func resource(typ, id, partition, region string, details *types.ResourceDetails) types.Resource {
	r := types.Resource{Type: aws.String(typ), Id: aws.String(printable.String(id)), Region: aws.String(region), Details: details}
	// The Partition enum knows only these; elsewhere the ARN says it.
	switch p := types.Partition(partition); p {
	case types.PartitionAws, types.PartitionAwsCn, types.PartitionAwsUsGov:
		r.Partition = p
	}
	return r
}

// productFields keep what the ASFF has no field for, the member account
// first: AwsAccountId is the importing account.
func (m mapper) productFields(k Key, r verify.Resource) map[string]string {
	f := map[string]string{
		"ebsguard/Account":   m.v.Account,
		"ebsguard/Region":    m.v.Region,
		"ebsguard/EventID":   m.v.EventID,
		"ebsguard/EventName": m.v.EventName,
		"ebsguard/EventTime": m.v.EventTime,
		"ebsguard/Principal": m.v.Principal,
		"ebsguard/Code":      k.Code,
		"ebsguard/Rule":      r.Rule,
		"ebsguard/Resource":  r.Resource,
		"ebsguard/Parent":    r.Parent,
		"ebsguard/Device":    r.Device,
		"ebsguard/Source":    r.Source,
		"ebsguard/Intended":  r.IntendedKeyARN,
		"ebsguard/Actual":    describe(r.Actual),
	}
	for key, val := range f {
		if val == "" {
			delete(f, key)
			continue
		}
		f[key] = clip(printable.String(val), maxProductValue)
	}
	return f
}

func others(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = clip(printable.String(v), maxOtherValue)
	}
	return m
}

func title(creates, resource, code string) string {
	what := fmt.Sprintf("EBS %s %s", nonEmpty(creates, "resource"), printable.String(resource))
	switch code {
	case rules.DefaultKeyFallback:
		return what + " fell back to a default KMS key instead of the intended one"
	case rules.KeyMismatch:
		return what + " got another KMS key than the documented rule predicts"
	case rules.UnencryptedCode:
		return what + " is not encrypted"
	case rules.DisallowedKey:
		return what + " uses a KMS key the policy does not allow"
	case rules.EBDDisabled:
		return "EBS encryption by default was turned off"
	case rules.UnusableDefaultKey:
		return "The default EBS KMS key was set to a key EBS cannot use"
	case rules.ForeignDefaultKey:
		return "The default EBS KMS key was set to another account's key"
	case rules.DisallowedDefaultKey:
		return "The default EBS KMS key was set to a key the policy does not allow"
	}
	return what + ": " + printable.String(code)
}

func describe(s *rules.State) string {
	switch {
	case s == nil:
		return ""
	case !s.Encrypted:
		return "unencrypted"
	case s.KMSKeyARN == "":
		return "encrypted with an unknown key"
	default:
		return "encrypted with " + s.KMSKeyARN
	}
}

// severityLabel maps our severities; anything else is MEDIUM, our lowest,
// so an unexpected value is never quieter than a known one.
func severityLabel(s string) types.SeverityLabel {
	if s == rules.High {
		return types.SeverityLabelHigh
	}
	return types.SeverityLabelMedium
}

// timestamp is a Security Hub timestamp: UTC, milliseconds, Z.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func nonEmpty(s, otherwise string) string {
	if strings.TrimSpace(s) == "" {
		return otherwise
	}
	return s
}
