package securityhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

// API is the part of Security Hub the importer calls.
type API interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

var _ API = (*securityhub.Client)(nil)

// Limits of BatchImportFindings ("Guidelines for using the
// BatchImportFindings API", Security Hub partner guide): up to 100 findings
// per batch, 240 KB per finding, 6 MB per batch. Sizes are the findings'
// JSON, counted against decimal kilo- and megabytes, which errs small.
const (
	maxPerCall      = 100
	maxFindingBytes = 240 * 1000
	maxCallBytes    = 6*1000*1000 - 1000 // room for the request's envelope
)

// invalidAccess is the FailedFindings code of an account where Security Hub
// (or the product) is not enabled ("BatchImportFindings for finding
// providers"): retrying changes nothing.
const invalidAccess = "InvalidAccess"

// Importer imports findings in batches, retrying the findings that fail.
type Importer struct {
	client   API
	attempts int
	backoff  func(retry int) time.Duration
	sleep    func(context.Context, time.Duration) error
}

// Option configures an Importer.
type Option func(*Importer)

// WithAttempts bounds how often a finding is sent (default 3).
func WithAttempts(n int) Option { return func(im *Importer) { im.attempts = max(n, 1) } }

// WithBackoff sets the wait before retry n (1, 2, ...); default 1s, 2s, 4s,
// at most 10s.
func WithBackoff(f func(retry int) time.Duration) Option {
	return func(im *Importer) { im.backoff = f }
}

// NewImporter returns an importer. The SDK client already retries a
// throttled or failed call; the importer retries what the service accepted
// but could not import (FailedFindings), and calls that still fail.
func NewImporter(client API, opts ...Option) *Importer {
	im := &Importer{client: client, attempts: 3, backoff: defaultBackoff, sleep: sleep}
	for _, o := range opts {
		o(im)
	}
	return im
}

func defaultBackoff(retry int) time.Duration {
	return min(time.Second<<(retry-1), 10*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Import sends the findings in batches within the API's limits. A finding
// that fails is sent again, alone with the other failures, after a backoff,
// up to the attempt bound; the error then names every finding that was not
// imported and why.
func (im *Importer) Import(ctx context.Context, findings []types.AwsSecurityFinding) error {
	failed := map[string]string{} // finding Id -> why, for those not imported (yet)
	var pending []sized
	for _, f := range findings {
		b, err := json.Marshal(f)
		switch {
		case err != nil:
			failed[aws.ToString(f.Id)] = "encode: " + err.Error()
		case len(b) > maxFindingBytes:
			failed[aws.ToString(f.Id)] = fmt.Sprintf("%d bytes; Security Hub accepts at most 240 KB per finding", len(b))
		default:
			pending = append(pending, sized{f, len(b)})
		}
	}
	attempt := 0
	for ; len(pending) > 0 && attempt < im.attempts; attempt++ {
		if attempt > 0 {
			if err := im.sleep(ctx, im.backoff(attempt)); err != nil {
				for _, s := range pending {
					failed[aws.ToString(s.f.Id)] += " (not retried: " + err.Error() + ")"
				}
				break
			}
		}
		var retry []sized
		for _, batch := range batches(pending) {
			retry = append(retry, im.send(ctx, batch, failed)...)
		}
		pending = retry
	}
	if len(failed) == 0 {
		return nil
	}
	return importError(failed, len(findings), max(attempt, 1))
}

type sized struct {
	f    types.AwsSecurityFinding
	size int
}

// batches groups findings in order, within the count and size limits.
func batches(fs []sized) [][]sized {
	var out [][]sized
	var cur []sized
	size := 0
	for _, s := range fs {
		if len(cur) == maxPerCall || (len(cur) > 0 && size+s.size+1 > maxCallBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, s)
		size += s.size + 1 // the comma between findings
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// send imports one batch, records each failure and returns what is worth
// sending again.
func (im *Importer) send(ctx context.Context, batch []sized, failed map[string]string) []sized {
	in := &securityhub.BatchImportFindingsInput{Findings: make([]types.AwsSecurityFinding, len(batch))}
	for i, s := range batch {
		in.Findings[i] = s.f
	}
	out, err := im.client.BatchImportFindings(ctx, in)
	if err != nil {
		why := "BatchImportFindings: " + err.Error()
		if permanent(err) {
			why += " (not retried)"
		}
		for _, s := range batch {
			failed[aws.ToString(s.f.Id)] = why
		}
		if permanent(err) || ctx.Err() != nil {
			return nil
		}
		return batch
	}
	rejected := map[string]types.ImportFindingsError{}
	for _, e := range out.FailedFindings {
		rejected[aws.ToString(e.Id)] = e
	}
	var retry []sized
	for _, s := range batch {
		id := aws.ToString(s.f.Id)
		e, ok := rejected[id]
		if !ok {
			delete(failed, id)
			continue
		}
		code := aws.ToString(e.ErrorCode)
		failed[id] = code + ": " + aws.ToString(e.ErrorMessage)
		if code == invalidAccess {
			failed[id] += " (not retried)"
			continue
		}
		retry = append(retry, s)
	}
	return retry
}

// permanent reports whether a failed call fails the same way every time:
// the caller may not import (IAM, Security Hub not enabled) or the request
// is invalid. Throttling and server errors are worth another attempt.
func permanent(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "InvalidAccessException", "InvalidInputException":
		return true
	}
	return false
}

// maxNamed bounds how many failures the error lists one by one.
const maxNamed = 10

func importError(failed map[string]string, total, attempts int) error {
	ids := make([]string, 0, len(failed))
	for id := range failed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var parts []string
	for _, id := range ids[:min(len(ids), maxNamed)] {
		parts = append(parts, fmt.Sprintf("%s (%s)", id, failed[id]))
	}
	if n := len(ids) - maxNamed; n > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", n))
	}
	tries := "1 attempt"
	if attempts != 1 {
		tries = fmt.Sprintf("%d attempts", attempts)
	}
	return fmt.Errorf("securityhub: %d of %d findings not imported after %s: %s",
		len(ids), total, tries, strings.Join(parts, "; "))
}
