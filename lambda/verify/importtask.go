package verify

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// importTaskAnswer is one VM Import task as EC2 describes it, or that it is
// not listed (EC2 lists tasks for 7 days).
type importTaskAnswer[T any] struct {
	Task   T
	Listed bool
}

// importTask describes one VM Import task; it changes until it ends, so it is
// asked once per event. cacheKind keys the answer, what names the task in
// errors ("image", "snapshot"), describe asks EC2 for the task and id reads a
// listed task's ImportTaskId.
func importTask[T any](s *session, cacheKind, what, region, id string, describe func(EC2API) ([]T, error), taskID func(T) *string) (importTaskAnswer[T], error) {
	return remember(s, cacheKind+"/"+s.account+"/"+region+"/"+id, perEvent, func() (importTaskAnswer[T], error) {
		c, err := s.ec2(region)
		if err != nil {
			return importTaskAnswer[T]{}, err
		}
		tasks, err := describe(c)
		if err != nil && !isNotFound(err) && !isTaskNotFound(err) {
			return importTaskAnswer[T]{}, fmt.Errorf("describe import %s task %s in %s: %w", what, id, region, err)
		}
		for _, t := range tasks {
			if aws.ToString(taskID(t)) == id {
				return importTaskAnswer[T]{Task: t, Listed: true}, nil
			}
		}
		return importTaskAnswer[T]{}, nil
	})
}

// isTaskNotFound tells EC2's answer for a task ID it does not know.
func isTaskNotFound(err error) bool {
	return strings.HasPrefix(ErrorCode(err), "InvalidConversionTaskId")
}

// importFailed is the skip of a task that ended deleting, deleted or error.
func importFailed(status, message string) (skip, bool) {
	switch strings.ToLower(status) {
	case "deleting", "deleted", "error":
		return skip{ReasonImportFailed + message}, true
	}
	return skip{}, false
}
