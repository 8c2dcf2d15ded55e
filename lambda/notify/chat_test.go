package notify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ebsguard/ebsguard/lambda/notify"
	"github.com/ebsguard/ebsguard/lambda/rules"
	"github.com/ebsguard/ebsguard/lambda/verify"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// chatSchema is the documented custom notification schema, with
// ebsguard's own length bounds.
func chatSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.Compile("testdata/chat-notification.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// published are the verdicts the samples publish (violations and notices),
// and verdicts built to strain the payload: hundreds of resources, record
// fields with markup and line breaks.
func published(t *testing.T) map[string]verify.Verdict {
	t.Helper()
	out := map[string]verify.Verdict{"violation": violation(), "reader-role": readerRoleError()}
	wants, _ := filepath.Glob("../../events/samples/*/want.json")
	for _, w := range wants {
		b, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		// A sample of several records has one verdict a line: each is
		// published on its own.
		for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var v verify.Verdict
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatal(err)
			}
			if v.Status == verify.StatusViolation || v.Status == verify.StatusError {
				out[fmt.Sprintf("%s/%d", filepath.Base(filepath.Dir(w)), i)] = v
			}
		}
	}
	huge := violation()
	huge.Resources, huge.Findings = nil, nil
	for i := range 600 {
		id := fmt.Sprintf("vol-%04d", i)
		huge.Resources = append(huge.Resources, verify.Resource{Resource: id, Rule: "launch/unencrypted/plain", Findings: []string{"UNENCRYPTED"}, Actual: &rules.State{}})
		huge.Findings = append(huge.Findings, verify.Finding{Code: "UNENCRYPTED", Severity: "high", Resource: id,
			Message: strings.Repeat("m", 300), Fix: fmt.Sprintf("fix %d %s", i, strings.Repeat("f", 2000))})
	}
	out["huge"] = huge
	hostile := violation()
	hostile.EventID = "`evil`\n*id* <!channel>"
	hostile.Principal = "arn:aws:sts::1:assumed-role/x/`y`\u202e"
	hostile.Account = strings.Repeat("9", 500)
	out["hostile"] = hostile
	return out
}

// GIVEN every published verdict WHEN it is encoded for SNS THEN the https
// message is a custom notification the documented schema accepts, and the
// whole structure stays within SNS's 256 KB.
func TestChatPayloadValidates(t *testing.T) {
	schema := chatSchema(t)
	n := 0
	for name, v := range published(t) {
		t.Run(name, func(t *testing.T) {
			in, err := notify.Message(topic, v)
			if err != nil {
				t.Fatal(err)
			}
			if size := len(aws.ToString(in.Message)) + len(aws.ToString(in.Subject)); size > 256<<10 {
				t.Errorf("structured message of %d bytes exceeds SNS's 256 KB", size)
			}
			msgs := structured(t, in)
			for _, proto := range []string{"default", "email", "https"} {
				if msgs[proto] == "" {
					t.Errorf("no %s message", proto)
				}
			}
			// SNS gives SQS and Lambda the default member: the verdict JSON
			// once, not three times.
			if len(msgs) != 3 {
				t.Errorf("members %v; want default, email and https", slices.Collect(maps.Keys(msgs)))
			}
			var doc any
			if err := json.Unmarshal([]byte(msgs["https"]), &doc); err != nil {
				t.Fatalf("https message is not JSON: %v", err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("https message does not validate: %v\n%s", err, msgs["https"])
			}
			n++
		})
	}
	if n < 10 {
		t.Errorf("only %d verdicts checked", n)
	}
}

// The chat notification says what the issue asks of it: a title naming the
// finding and the account, the resource, intended and actual key and rule
// in the description, the fix in nextSteps, the codes in keywords, a thread
// per event.
func TestChatContent(t *testing.T) {
	v := violation()
	v.Findings[1].Message, v.Findings[1].Fix = "snapshot snap-2 is not encrypted", "aws ec2 copy-image --encrypted"
	c := notify.ChatMessage(v)
	checks := []struct {
		name string
		ok   bool
	}{
		{"title names the worst finding", strings.Contains(c.Content.Title, "UNENCRYPTED +1")},
		{"title names the account", strings.Contains(c.Content.Title, "222222222222")},
		{"description names the resource", strings.Contains(c.Content.Description, "snap-2")},
		{"description names the rule", strings.Contains(c.Content.Description, rules.CopyUnencryptedPlain)},
		{"description names the intended key", strings.Contains(c.Content.Description, "arn:aws:kms:eu-west-1:111111111111:key/s")},
		{"description names the actual key", strings.Contains(c.Content.Description, "arn:aws:kms:eu-west-1:222222222222:key/d")},
		{"next steps hold the fix", len(c.Content.NextSteps) == 1 && c.Content.NextSteps[0] == "aws ec2 copy-image --encrypted"},
		{"keywords hold the codes", strings.Join(c.Content.Keywords, ",") == "ebsguard,DEFAULT_KEY_FALLBACK,UNENCRYPTED"},
		{"thread of the event", c.Metadata.ThreadID == "ebsguard-e-1"},
		{"event type", c.Metadata.EventType == "EBS Encryption Finding"},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: %+v", ch.name, c)
		}
	}
	// A re-check's follow-up (fewer findings) lands in the same thread; an
	// event ID that is not a plain ID still gets a stable thread of its own.
	follow := v
	follow.Findings = v.Findings[:1]
	if got := notify.ChatMessage(follow).Metadata.ThreadID; got != c.Metadata.ThreadID {
		t.Errorf("follow-up thread %s; want %s", got, c.Metadata.ThreadID)
	}
	odd := notify.ThreadID("a b\nc")
	if odd != notify.ThreadID("a b\nc") || odd == notify.ThreadID("a b c") || strings.ContainsAny(odd, " \n") {
		t.Errorf("thread of an odd event ID: %q", odd)
	}
	notice := notify.ChatMessage(readerRoleError())
	if !strings.Contains(notice.Content.Title, "reader role not assumable") || len(notice.Content.NextSteps) != 1 ||
		!strings.Contains(notice.Content.NextSteps[0], "member stack") || notice.Metadata.EventType != "ebsguard Operational Notice" {
		t.Errorf("notice: %+v", notice)
	}
}

// The schema the payload is held to rejects what the guide rules out.
func TestChatSchemaRejects(t *testing.T) {
	schema := chatSchema(t)
	for name, doc := range map[string]string{
		"no description":  `{"version":"1.0","source":"custom","content":{"title":"t"}}`,
		"wrong version":   `{"version":"2.0","source":"custom","content":{"description":"d"}}`,
		"wrong source":    `{"version":"1.0","source":"ebsguard","content":{"description":"d"}}`,
		"misnamed field":  `{"version":"1.0","source":"custom","content":{"description":"d","next_steps":["x"]}}`,
		"thread misnamed": `{"version":"1.0","source":"custom","content":{"description":"d"},"metadata":{"threadID":"x"}}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if schema.Validate(v) == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
	var ok any
	json.Unmarshal([]byte(`{"version":"1.0","source":"custom","content":{"description":"d"}}`), &ok)
	if err := schema.Validate(ok); err != nil {
		t.Errorf("the minimal notification is rejected: %v", err)
	}
}

// GIVEN record fields that carry a chat client's control sequences, Markdown
// links and control characters WHEN the chat notification is built THEN no
// shown field holds a Slack control sequence (<!channel>, <@U1>, <url|text>),
// a Markdown link or a raw control character, and no line is forged.
func TestChatRecordFieldsAreInert(t *testing.T) {
	hostile := []string{"<!channel>", "<!here|here>", "<@U0123>", "<#C0123>", "<https://evil.example|click>", "[click](https://evil.example)", "x\n*Account:* `999999999999`", "\x1b[31m", "\u202e"}
	for i, h := range hostile {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			v := violation()
			v.Account, v.Region, v.Principal, v.EventTime = "2222"+h, "eu-west-1"+h, "arn:aws:sts::2:assumed-role/r/"+h, "2026"+h
			v.Resources[0].Resource, v.Resources[0].Device = "snap-1"+h, "/dev/xvda"+h
			v.Resources[0].Actual.KMSKeyARN = "arn:aws:kms:eu-west-1:2:key/" + h
			v.Findings[0].Resource = v.Resources[0].Resource
			v.Findings[0].Message, v.Findings[0].Fix = "message "+h, "aws ec2 fix "+h
			e := readerRoleError()
			e.Reason, e.Warnings = "denied "+h, []string{"warning " + h}
			for _, c := range []notify.Chat{notify.ChatMessage(v), notify.ChatMessage(e)} {
				shown := append([]string{c.Content.Title, c.Content.Description, c.Metadata.Summary}, c.Content.NextSteps...)
				shown = append(append(shown, c.Content.Keywords...), c.Metadata.RelatedResources...)
				for _, s := range shown {
					if strings.ContainsAny(s, "<>\x1b\u202e") || strings.Contains(s, "](") {
						t.Errorf("shown field %q keeps the hostile text %q", s, h)
					}
				}
				n := 0
				for _, l := range strings.Split(c.Content.Description, "\n") {
					if strings.HasPrefix(l, "*Account:*") {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d Account lines in %q", n, c.Content.Description)
				}
			}
		})
	}
	// ebsguard's own placeholders are not taken for links either.
	v := violation()
	v.Findings[0].Message, v.Findings[0].Fix = "fix", "copy with KmsKeyId=<a key of 222222222222>"
	if got := notify.ChatMessage(v).Content.NextSteps[0]; got != "copy with KmsKeyId=‹a key of 222222222222›" {
		t.Errorf("next step %q", got)
	}
}
