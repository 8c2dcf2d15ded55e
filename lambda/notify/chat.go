package notify

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ebsguard/ebsguard/lambda/verify"
)

// Chat is the custom notification of Amazon Q Developer in chat applications
// (formerly AWS Chatbot), which subscribes to the topic with the https
// protocol and renders only AWS service events and this schema
// (docs/integrations.md says what ebsguard relies on). Version and Source
// are fixed, Content.Description is required, the rest is optional.
type Chat struct {
	Version  string       `json:"version"`
	Source   string       `json:"source"`
	ID       string       `json:"id,omitempty"`
	Content  ChatContent  `json:"content"`
	Metadata ChatMetadata `json:"metadata"`
}

// ChatContent is what the channel shows.
type ChatContent struct {
	TextType    string   `json:"textType,omitempty"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

// ChatMetadata groups and summarizes: notifications with the same ThreadID
// land in one thread, so a re-check's follow-up joins its first look.
type ChatMetadata struct {
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary,omitempty"`
	EventType         string            `json:"eventType,omitempty"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// The fixed values of the schema, and ebsguard's own bounds on what it
// writes: the guide names no size limit beyond the SNS message's, so these
// keep a notification short enough to read in a channel, and the whole
// structured message within SNS's 256 KB whatever the verdict holds.
const (
	ChatVersion        = "1.0"
	ChatSource         = "custom"
	chatTextType       = "client-markdown"
	MaxChatTitle       = 250
	MaxChatDescription = 8000
	MaxChatNextSteps   = 5
	MaxChatStep        = 1000
	MaxChatKeywords    = 10
	maxChatResources   = 10
)

// ChatMessage is the chat notification of a violation or a notice.
func ChatMessage(v verify.Verdict) Chat {
	c := Chat{
		Version: ChatVersion, Source: ChatSource, ID: chatSafe(v.EventID),
		Content: ChatContent{TextType: chatTextType},
		Metadata: ChatMetadata{ThreadID: ThreadID(v.EventID), Summary: Subject(v),
			AdditionalContext: map[string]string{"account": p(v.Account), "region": p(v.Region), "eventID": p(v.EventID), "status": v.Status}},
	}
	if v.Status == verify.StatusError {
		chatNotice(&c, v)
	} else {
		chatFindings(&c, v)
	}
	c.Content.Title = cutRunes(inert(oneLine(c.Content.Title)), MaxChatTitle)
	c.Content.Description = cutRunes(inert(c.Content.Description), MaxChatDescription)
	for i, s := range c.Content.NextSteps {
		c.Content.NextSteps[i] = cutRunes(inert(s), MaxChatStep)
	}
	for i, s := range c.Content.Keywords {
		c.Content.Keywords[i] = inert(s)
	}
	for i, s := range c.Metadata.RelatedResources {
		c.Metadata.RelatedResources[i] = inert(s)
	}
	c.Metadata.Summary = inert(c.Metadata.Summary)
	return c
}

// inertText neutralizes what a chat client would act on rather than show:
// Slack's control sequences (<!channel>, <!here>, <@U123>, <#C123>,
// <https://x|a link>) and HTML are written between single angle quotation
// marks, and a Markdown link [text](url), which Microsoft Teams renders, is
// broken. Record fields (a device name, a key ID, an error message that
// quotes the record) reach the text, and so do ebsguard's own placeholders
// (<a key of ...>), which Slack would otherwise take for a link.
var inertText = strings.NewReplacer("<", "‹", ">", "›", "](", "] (")

func inert(s string) string { return inertText.Replace(s) }

func chatFindings(c *Chat, v verify.Verdict) {
	what := "EBS encryption finding"
	if f, ok := worst(v); ok {
		what = f.Code
		if n := len(v.Findings); n > 1 {
			what = fmt.Sprintf("%s +%d", what, n-1)
		}
	}
	c.Content.Title = fmt.Sprintf(":warning: ebsguard %s: %s in account %s %s", strings.ToUpper(v.Severity()), p(what), p(v.Account), p(v.Region))
	c.Metadata.EventType = "EBS Encryption Finding"
	var b strings.Builder
	chatHeader(&b, v)
	fixes := map[string]bool{}
	shown := 0
	for _, r := range v.Resources {
		if len(r.Findings) == 0 {
			continue
		}
		if shown == maxChatResources {
			fmt.Fprintf(&b, "\n…and more: the e-mail and the event carry every resource.\n")
			break
		}
		shown++
		c.Metadata.RelatedResources = append(c.Metadata.RelatedResources, p(r.Resource))
		fmt.Fprintf(&b, "\n*%s*\n", describeResource(v.EventName, r))
		fmt.Fprintf(&b, "• Rule: %s\n", code(r.Rule))
		fmt.Fprintf(&b, "• Intended key: %s\n", IntendedKey(r, r.Findings...))
		fmt.Fprintf(&b, "• Actual key: %s\n", actual(r.Actual))
		for _, f := range v.Findings {
			if f.Resource != r.Resource {
				continue
			}
			msg, fix := f.Message, f.Fix
			fmt.Fprintf(&b, "• %s (%s): %s\n", code(f.Code), p(f.Severity), p(msg))
			if fix != "" && !fixes[fix] && len(c.Content.NextSteps) < MaxChatNextSteps {
				fixes[fix] = true
				c.Content.NextSteps = append(c.Content.NextSteps, p(fix))
			}
		}
	}
	c.Content.Description = b.String()
	c.Content.Keywords = append([]string{"ebsguard"}, v.Codes()...)
	if len(c.Content.Keywords) > MaxChatKeywords {
		c.Content.Keywords = c.Content.Keywords[:MaxChatKeywords]
	}
	for i, k := range c.Content.Keywords {
		c.Content.Keywords[i] = cutRunes(p(k), 64)
	}
}

func chatNotice(c *Chat, v verify.Verdict) {
	pr := classify(v)
	c.Content.Title = fmt.Sprintf(":rotating_light: ebsguard could not check events in account %s %s: %s", p(v.Account), p(v.Region), pr.short)
	c.Metadata.EventType = "ebsguard Operational Notice"
	var b strings.Builder
	chatHeader(&b, v)
	fmt.Fprintf(&b, "\n*Why:* %s\n", p(v.Reason))
	for _, r := range v.Resources {
		if r.Error != "" {
			fmt.Fprintf(&b, "• %s: %s\n", describeResource(v.EventName, r), p(r.Error))
		}
	}
	for _, w := range v.Warnings {
		fmt.Fprintf(&b, "_%s_\n", p(w))
	}
	c.Content.Description = b.String()
	c.Content.NextSteps = []string{pr.todo}
	c.Content.Keywords = []string{"ebsguard", "error", pr.kind}
}

func chatHeader(b *strings.Builder, v verify.Verdict) {
	fmt.Fprintf(b, "*Account:* %s  *Region:* %s\n*Call:* %s by %s at %s\n*Event ID:* %s\n",
		code(v.Account), code(v.Region), code(v.EventName), code(v.Principal), p(v.EventTime), code(v.EventID))
	if v.Reason != "" && v.Status != verify.StatusError {
		fmt.Fprintf(b, "_%s_\n", p(v.Reason))
	}
}

// code quotes a record field as inline code; a backtick in it would end the
// span early.
func code(s string) string {
	s = strings.ReplaceAll(p(s), "`", "'")
	if s == "" {
		return "-"
	}
	return "`" + s + "`"
}

var threadSafe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ThreadID is the chat thread of an event: the same for its first look and
// every re-check, so the follow-up lands in the same thread.
func ThreadID(eventID string) string {
	if threadSafe.MatchString(eventID) {
		return "ebsguard-" + eventID
	}
	return "ebsguard-" + digest("thread", eventID)[:32]
}

func chatSafe(s string) string {
	if threadSafe.MatchString(s) {
		return s
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cutRunes shortens s to at most n characters, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
