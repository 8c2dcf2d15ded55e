package noticewindow_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDB is DynamoDB's UpdateItem over a map, for the expression forms the
// table writes: SET a = v, SET a = if_not_exists(a, v), ADD a n, ADD a
// string-set, REMOVE a; conditions attribute_exists(a), attribute_not_exists(a)
// NOT contains(a, v) and (attribute_not_exists(a) OR size(a) < n) joined by AND; ReturnValuesOnConditionCheckFailure
// ALL_OLD.
// It rejects any other form, so a table change that writes one fails here
// rather than passing untested.
type fakeDB struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	calls int
	err   error
}

func newFakeDB() *fakeDB { return &fakeDB{items: map[string]map[string]types.AttributeValue{}} }

var (
	condTerm   = regexp.MustCompile(`^(attribute_exists|attribute_not_exists)\((#\w+)\)$`)
	notContain = regexp.MustCompile(`^NOT contains\((#\w+),\s*(:\w+)\)$`)
	sizeBelow  = regexp.MustCompile(`^\(attribute_not_exists\((#\w+)\) OR size\((#\w+)\) < (:\w+)\)$`)
	ifNotExist = regexp.MustCompile(`^if_not_exists\((#\w+),\s*(:\w+)\)$`)
	clauseWord = regexp.MustCompile(`\b(SET|ADD|REMOVE)\b`)
)

func (f *fakeDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	name := func(n string) string {
		if v, ok := in.ExpressionAttributeNames[n]; ok {
			return v
		}
		panic("unnamed attribute " + n)
	}
	value := func(v string) types.AttributeValue {
		if x, ok := in.ExpressionAttributeValues[v]; ok {
			return x
		}
		panic("unknown value " + v)
	}
	key := ""
	for _, k := range []string{"pk", "sk"} {
		key += in.Key[k].(*types.AttributeValueMemberS).Value + "|"
	}
	item, exists := f.items[key]
	cur := map[string]types.AttributeValue{}
	for k, v := range item {
		cur[k] = v
	}
	if !exists {
		for k, v := range in.Key {
			cur[k] = v
		}
	}
	if c := aws.ToString(in.ConditionExpression); c != "" {
		failed := func() error {
			ccf := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
			if exists && in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld {
				ccf.Item = item
			}
			return ccf
		}
		for _, term := range strings.Split(c, " AND ") {
			term = strings.TrimSpace(term)
			if m := notContain.FindStringSubmatch(term); m != nil {
				set, _ := item[name(m[1])].(*types.AttributeValueMemberSS)
				if set != nil && slices.Contains(set.Value, value(m[2]).(*types.AttributeValueMemberS).Value) {
					return nil, failed()
				}
				continue
			}
			if m := sizeBelow.FindStringSubmatch(term); m != nil {
				set, _ := item[name(m[2])].(*types.AttributeValueMemberSS)
				limit, _ := strconv.Atoi(value(m[3]).(*types.AttributeValueMemberN).Value)
				if m[1] != m[2] {
					panic("size condition on two attributes " + term)
				}
				if set != nil && len(set.Value) >= limit {
					return nil, failed()
				}
				continue
			}
			m := condTerm.FindStringSubmatch(term)
			if m == nil {
				panic("condition form " + term)
			}
			_, has := item[name(m[2])]
			if (m[1] == "attribute_exists") != has {
				return nil, failed()
			}
		}
	}
	expr := aws.ToString(in.UpdateExpression)
	locs := clauseWord.FindAllStringIndex(expr, -1)
	for i, loc := range locs {
		end := len(expr)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		word, body := expr[loc[0]:loc[1]], strings.TrimSpace(expr[loc[1]:end])
		for _, part := range splitTop(body) {
			switch word {
			case "REMOVE":
				delete(cur, name(part))
			case "ADD":
				fs := strings.Fields(part)
				if ss, ok := value(fs[1]).(*types.AttributeValueMemberSS); ok {
					a := name(fs[0])
					var members []string
					if x, ok := cur[a].(*types.AttributeValueMemberSS); ok {
						members = slices.Clone(x.Value)
					}
					for _, m := range ss.Value {
						if !slices.Contains(members, m) {
							members = append(members, m)
						}
					}
					cur[a] = &types.AttributeValueMemberSS{Value: members}
					continue
				}
				a, add := name(fs[0]), value(fs[1]).(*types.AttributeValueMemberN)
				n := int64(0)
				if x, ok := cur[a].(*types.AttributeValueMemberN); ok {
					n, _ = strconv.ParseInt(x.Value, 10, 64)
				}
				d, _ := strconv.ParseInt(add.Value, 10, 64)
				cur[a] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n+d, 10)}
			case "SET":
				lhs, rhs, ok := strings.Cut(part, "=")
				if !ok {
					panic("SET form " + part)
				}
				a, rhs := name(strings.TrimSpace(lhs)), strings.TrimSpace(rhs)
				if m := ifNotExist.FindStringSubmatch(rhs); m != nil {
					if _, has := cur[name(m[1])]; !has {
						cur[a] = value(m[2])
					}
				} else if strings.HasPrefix(rhs, ":") {
					cur[a] = value(rhs)
				} else {
					panic("SET value form " + rhs)
				}
			}
		}
	}
	f.items[key] = cur
	out := &dynamodb.UpdateItemOutput{}
	if in.ReturnValues == types.ReturnValueAllNew {
		out.Attributes = cur
	}
	return out, nil
}

// splitTop splits a clause's actions on the commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func (f *fakeDB) String() string { return fmt.Sprint(len(f.items), " items") }
