package noticewindow_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDB is DynamoDB's UpdateItem over a map, for the expression forms the
// table writes: SET a = v, SET a = if_not_exists(a, v), ADD a n, REMOVE a;
// conditions attribute_exists(a) and attribute_not_exists(a) joined by AND.
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
		for _, term := range strings.Split(c, " AND ") {
			m := condTerm.FindStringSubmatch(strings.TrimSpace(term))
			if m == nil {
				panic("condition form " + term)
			}
			_, has := item[name(m[2])]
			if (m[1] == "attribute_exists") != has {
				return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
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
