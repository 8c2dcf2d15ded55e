package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
)

// gen makes the records of one log file: noise, and in each block of
// `every` records one relevant record taken from a sample.
type gen struct {
	rng      *rand.Rand
	events   []map[string]any
	every    int
	i        int
	hit      int // position of the relevant record in the current block
	relevant int64
	buf      []byte
}

func newGen(seed uint64, events []map[string]any, every int) *gen {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x5eed)), events: events, every: every}
	g.hit = g.rng.IntN(every)
	return g
}

// next returns the next record; it is valid until the following call.
func (g *gen) next() []byte {
	pos := g.i % g.every
	g.i++
	if pos == g.every-1 {
		defer func() { g.hit = g.rng.IntN(g.every) }()
	}
	if pos == g.hit {
		g.relevant++
		ev := maps.Clone(g.events[int(g.relevant)%len(g.events)]) // shared by the files' generators
		ev["eventID"] = g.uuid()
		b, _ := json.Marshal(ev)
		return b
	}
	g.buf = g.noise(g.buf[:0])
	return g.buf
}

// call is one kind of API call seen in a trail: its service, name and a
// writer of its request and response.
type call struct {
	source, name string
	readOnly     bool
	params       func(g *gen) (request, response string)
}

// calls are weighted by repetition, roughly as they come in a management and
// data event trail.
var calls = func() []call {
	var out []call
	add := func(n int, c call) {
		for range n {
			out = append(out, c)
		}
	}
	add(6, call{"sts.amazonaws.com", "AssumeRole", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"roleArn":"arn:aws:iam::%s:role/app-%d","roleSessionName":"session-%d","durationSeconds":3600}`, account, g.rng.IntN(40), g.rng.IntN(1e6)),
			fmt.Sprintf(`{"credentials":{"accessKeyId":"ASIA%s","sessionToken":"%s","expiration":"Nov 20, 2026, 11:%02d:%02d AM"},"assumedRoleUser":{"assumedRoleId":"AROA%s:session","arn":"arn:aws:sts::%s:assumed-role/app/session"}}`,
				g.upper(16), g.base64(220), g.rng.IntN(60), g.rng.IntN(60), g.upper(17), account)
	}})
	add(5, call{"kms.amazonaws.com", "Decrypt", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"encryptionContext":{"aws:s3:arn":"arn:aws:s3:::app-data-%d/%s"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, g.rng.IntN(9), g.path()), "null"
	}})
	add(4, call{"kms.amazonaws.com", "GenerateDataKey", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"keyId":"arn:aws:kms:%s:%s:key/%s","keySpec":"AES_256","encryptionContext":{"aws:ebs:id":"vol-0%s"}}`, region, account, g.uuid(), g.hex(16)), "null"
	}})
	add(6, call{"s3.amazonaws.com", "GetObject", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"bucketName":"app-data-%d","Host":"app-data-%d.s3.%s.amazonaws.com","key":"%s"}`, g.rng.IntN(9), g.rng.IntN(9), region, g.path()), "null"
	}})
	add(4, call{"s3.amazonaws.com", "PutObject", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"bucketName":"app-logs-%d","Host":"app-logs-%d.s3.%s.amazonaws.com","key":"%s","x-amz-server-side-encryption":"aws:kms"}`, g.rng.IntN(9), g.rng.IntN(9), region, g.path()),
			fmt.Sprintf(`{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:%s:%s:key/%s"}`, region, account, g.uuid())
	}})
	add(2, call{"s3.amazonaws.com", "ListBuckets", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"Host":"s3.%s.amazonaws.com"}`, region), "null"
	}})
	add(5, call{"ec2.amazonaws.com", "DescribeInstances", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"instancesSet":{"items":[{"instanceId":"i-0%s"}]},"filterSet":{"items":[{"name":"tag:Name","valueSet":{"items":[{"value":"web-%d"}]}}]},"maxResults":1000}`, g.hex(16), g.rng.IntN(30)), "null"
	}})
	add(3, call{"ec2.amazonaws.com", "DescribeVolumes", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"volumeSet":{},"filterSet":{"items":[{"name":"attachment.instance-id","valueSet":{"items":[{"value":"i-0%s"}]}}]}}`, g.hex(16)), "null"
	}})
	add(2, call{"ec2.amazonaws.com", "DescribeSnapshots", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"snapshotSet":{"items":[{"snapshotId":"snap-0%s"}]},"ownersSet":{},"restorableBySet":{}}`, g.hex(16)), "null"
	}})
	add(2, call{"ec2.amazonaws.com", "CreateTags", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"resourcesSet":{"items":[{"resourceId":"i-0%s"}]},"tagSet":{"items":[{"key":"Owner","value":"team-%d"},{"key":"CostCenter","value":"%d"}]}}`, g.hex(16), g.rng.IntN(12), 1000+g.rng.IntN(9000)),
			fmt.Sprintf(`{"requestId":"%s","_return":true}`, g.uuid())
	}})
	add(1, call{"ec2.amazonaws.com", "CreateSnapshot", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"volumeId":"vol-0%s","description":"daily backup"}`, g.hex(16)),
			fmt.Sprintf(`{"requestId":"%s","snapshotId":"snap-0%s","volumeId":"vol-0%s","status":"pending","startTime":1795168800000,"progress":"","ownerId":"%s","volumeSize":32,"encrypted":true,"kmsKeyId":"arn:aws:kms:%s:%s:key/%s"}`,
				g.uuid(), g.hex(16), g.hex(16), account, region, account, g.uuid())
	}})
	add(1, call{"ec2.amazonaws.com", "AttachVolume", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"volumeId":"vol-0%s","instanceId":"i-0%s","device":"/dev/sdf"}`, g.hex(16), g.hex(16)),
			fmt.Sprintf(`{"requestId":"%s","volumeId":"vol-0%s","instanceId":"i-0%s","device":"/dev/sdf","status":"attaching","attachTime":1795168800000,"deleteOnTermination":false}`, g.uuid(), g.hex(16), g.hex(16))
	}})
	add(2, call{"ssm.amazonaws.com", "GetParameter", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"name":"/app/%d/config/db-url","withDecryption":true}`, g.rng.IntN(20)), "null"
	}})
	add(1, call{"secretsmanager.amazonaws.com", "GetSecretValue", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"secretId":"arn:aws:secretsmanager:%s:%s:secret:app/%d/db-%s"}`, region, account, g.rng.IntN(20), g.hex(6)), "null"
	}})
	add(2, call{"logs.amazonaws.com", "CreateLogStream", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"logGroupName":"/aws/lambda/app-%d","logStreamName":"2026/11/20/[$LATEST]%s"}`, g.rng.IntN(30), g.hex(32)), "null"
	}})
	add(1, call{"iam.amazonaws.com", "GetRole", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"roleName":"app-%d"}`, g.rng.IntN(40)), "null"
	}})
	add(1, call{"signin.amazonaws.com", "ConsoleLogin", false, func(g *gen) (string, string) {
		return "null", `{"ConsoleLogin":"Success"}`
	}})
	add(1, call{"cloudformation.amazonaws.com", "DescribeStacks", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"stackName":"arn:aws:cloudformation:%s:%s:stack/app-%d/%s"}`, region, account, g.rng.IntN(20), g.uuid()), "null"
	}})
	add(1, call{"dynamodb.amazonaws.com", "DescribeTable", true, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"tableName":"orders-%d"}`, g.rng.IntN(5)), "null"
	}})
	add(1, call{"autoscaling.amazonaws.com", "DescribeAutoScalingGroups", true, func(g *gen) (string, string) {
		return `{"maxRecords":100}`, "null"
	}})
	add(1, call{"ecr.amazonaws.com", "GetAuthorizationToken", true, func(g *gen) (string, string) {
		return `{"registryIds":["` + account + `"]}`, "null"
	}})
	add(1, call{"lambda.amazonaws.com", "Invoke", false, func(g *gen) (string, string) {
		return fmt.Sprintf(`{"functionName":"arn:aws:lambda:%s:%s:function:app-%d","invocationType":"Event"}`, region, account, g.rng.IntN(30)), "null"
	}})
	return out
}()

var agents = []string{
	"aws-cli/2.22.35 md/awscrt#0.23.8 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython exec-env/CloudShell cfg/retry-mode#standard md/installer#exe sid/4f1e md/prompt#off md/command#s3.cp",
	"Boto3/1.35.90 md/Botocore#1.35.90 ua/2.0 os/linux#5.10.230-223.885.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.90",
	"aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.198.1 m/E,g",
	"APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7",
	"AWS Internal",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"autoscaling.amazonaws.com",
}

// noise appends a record of an event out of scope, in CloudTrail's order of
// fields.
func (g *gen) noise(b []byte) []byte {
	c := calls[g.rng.IntN(len(calls))]
	req, resp := c.params(g)
	minute, second := g.rng.IntN(60), g.rng.IntN(60)
	b = append(b, `{"eventVersion":"1.11","userIdentity":`...)
	b = g.identity(b)
	b = fmt.Appendf(b, `,"eventTime":"2026-11-20T10:%02d:%02dZ","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"%s","userAgent":"%s"`,
		minute, second, c.source, c.name, region, g.ip(), agents[g.rng.IntN(len(agents))])
	if g.rng.IntN(12) == 0 {
		b = fmt.Appendf(b, `,"errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::%s:assumed-role/app-%d/session is not authorized to perform: %s on resource because no identity-based policy allows the action"`,
			account, g.rng.IntN(40), c.name)
		resp = "null"
	}
	b = fmt.Appendf(b, `,"requestParameters":%s,"responseElements":%s,"requestID":"%s","eventID":"%s","readOnly":%t`, req, resp, g.uuid(), g.uuid(), c.readOnly)
	if c.source == "kms.amazonaws.com" {
		b = fmt.Appendf(b, `,"resources":[{"accountId":"%s","type":"AWS::KMS::Key","ARN":"arn:aws:kms:%s:%s:key/%s"}]`, account, region, account, g.uuid())
	}
	b = fmt.Appendf(b, `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"}}`,
		account, strings.Replace(c.source, "amazonaws.com", region+".amazonaws.com", 1))
	return b
}

func (g *gen) identity(b []byte) []byte {
	switch n := g.rng.IntN(10); {
	case n < 7:
		role := g.rng.IntN(40)
		return fmt.Appendf(b, `{"type":"AssumedRole","principalId":"AROA%s:session-%d","arn":"arn:aws:sts::%s:assumed-role/app-%d/session-%d","accountId":"%s","accessKeyId":"ASIA%s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA%s","arn":"arn:aws:iam::%s:role/app-%d","accountId":"%s","userName":"app-%d"},"attributes":{"creationDate":"2026-11-20T09:%02d:%02dZ","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}}`,
			g.upper(17), role, account, role, role, account, g.upper(16), g.upper(17), account, role, account, role, g.rng.IntN(60), g.rng.IntN(60))
	case n < 9:
		user := g.rng.IntN(25)
		return fmt.Appendf(b, `{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/dev-%d","accountId":"%s","accessKeyId":"AKIA%s","userName":"dev-%d"}`,
			g.upper(17), account, user, account, g.upper(16), user)
	default:
		return append(b, `{"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"}`...)
	}
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func (g *gen) upper(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(upperAlnum[g.rng.IntN(len(upperAlnum))])
	}
	return sb.String()
}

func (g *gen) hex(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte("0123456789abcdef"[g.rng.IntN(16)])
	}
	return sb.String()
}

func (g *gen) base64(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var sb strings.Builder
	for range n {
		sb.WriteByte(alphabet[g.rng.IntN(len(alphabet))])
	}
	return sb.String()
}

func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-8" + g.hex(3) + "-" + g.hex(12)
}

func (g *gen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *gen) path() string {
	return fmt.Sprintf("data/2026/11/20/%s/part-%05d.json.gz", g.hex(8), g.rng.IntN(100000))
}
