package cloudtrail

// A validating JSON skipper. The decoder uses it to find where a value ends
// in its buffer without decoding it: out-of-scope records (most of a trail)
// are only ever skipped. It accepts exactly what encoding/json accepts, so
// that a value it passes over would also have decoded, and a value it
// rejects is reported as encoding/json would reject it.

// scanStatus is the outcome of scanning a value in a buffer.
type scanStatus uint8

const (
	scanOK   scanStatus = iota // the value is complete and well-formed
	scanMore                   // the buffer ends inside the value
	scanBad                    // not JSON; the offset says where
)

// maxDepth is encoding/json's nesting limit: deeper input is an error there,
// so it is one here too.
const maxDepth = 10000

// strPlain marks the bytes that can stand in a string as they are: everything
// but the quote, the backslash and the control characters below 0x20, which
// encoding/json rejects. Bytes of 0x80 and above are taken as they are, as
// encoding/json does (invalid UTF-8 is replaced, not rejected).
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// isSpace is JSON's whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace returns the offset of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString scans the string whose opening quote is at b[i]. It returns the
// offset after the closing quote, and whether the string held an escape.
func skipString(b []byte, i int) (end int, escaped bool, st scanStatus) {
	j := i + 1
	for {
		// The plain run is where nearly all the bytes of a record are.
		for j+8 <= len(b) && strPlain[b[j]] && strPlain[b[j+1]] && strPlain[b[j+2]] && strPlain[b[j+3]] &&
			strPlain[b[j+4]] && strPlain[b[j+5]] && strPlain[b[j+6]] && strPlain[b[j+7]] {
			j += 8
		}
		for j < len(b) && strPlain[b[j]] {
			j++
		}
		if j >= len(b) {
			return j, escaped, scanMore
		}
		switch b[j] {
		case '"':
			return j + 1, escaped, scanOK
		case '\\':
			escaped = true
			if j+1 >= len(b) {
				return j, escaped, scanMore
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(b) {
						return k, escaped, scanMore
					}
					if !isHex(b[k]) {
						return k, escaped, scanBad
					}
				}
				j += 6
			default:
				return j + 1, escaped, scanBad
			}
		default: // a control character
			return j, escaped, scanBad
		}
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipNumber scans a number starting at b[i] ('-' or a digit). A number that
// reaches the end of the buffer may go on (scanMore), unless the buffer ends
// the input (eof).
func skipNumber(b []byte, i int, eof bool) (int, scanStatus) {
	j := i
	// digits scans a run of digits; ok reports whether there was one.
	digits := func() (st scanStatus, ok bool) {
		start := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j >= len(b) && !eof {
			return scanMore, false
		}
		return scanOK, j > start
	}
	if b[j] == '-' {
		j++
	}
	switch {
	case j >= len(b):
		return j, endStatus(eof)
	case b[j] == '0':
		j++
	case isDigit(b[j]):
		if st, _ := digits(); st != scanOK {
			return j, st
		}
	default:
		return j, scanBad
	}
	if j < len(b) && b[j] == '.' {
		j++
		if st, ok := digits(); st != scanOK || !ok {
			return j, orBad(st)
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if st, ok := digits(); st != scanOK || !ok {
			return j, orBad(st)
		}
	}
	if j >= len(b) && !eof {
		return j, scanMore // "1" may be "10", "1." may be "1.5"
	}
	return j, scanOK
}

// endStatus is the status of a value cut by the end of the buffer.
func endStatus(eof bool) scanStatus {
	if eof {
		return scanBad
	}
	return scanMore
}

func orBad(st scanStatus) scanStatus {
	if st == scanMore {
		return st
	}
	return scanBad
}

// skipLiteral scans true, false or null at b[i].
func skipLiteral(b []byte, i int, lit string) (int, scanStatus) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, scanMore
		}
		if b[i+k] != lit[k] {
			return i + k, scanBad
		}
	}
	return i + len(lit), scanOK
}

// skipper scans values; its stack of open containers is reused between
// values, so that skipping allocates nothing once warm.
type skipper struct {
	stack []byte // '{' or '[' per open container
	// eof is set when the buffer holds the rest of the input: a number that
	// ends the buffer is then complete.
	eof bool
	// deepest is the greatest nesting seen by the last skip.
	deepest int
}

// skip scans the value that starts at b[i] (no leading space). It returns the
// offset just after it; for scanBad, the offset of the offending byte, and
// why.
func (s *skipper) skip(b []byte, i int) (int, scanStatus, string) {
	s.stack = s.stack[:0]
	s.deepest = 0
	for {
		// A value.
		if i >= len(b) {
			return i, scanMore, ""
		}
		var st scanStatus
		switch c := b[i]; c {
		case '"':
			i, _, st = skipString(b, i)
			if st == scanBad {
				return i, st, "invalid character in string"
			}
		case '{', '[':
			if len(s.stack) >= maxDepth {
				return i, scanBad, "nested too deeply"
			}
			j := skipSpace(b, i+1)
			if j >= len(b) {
				return j, scanMore, ""
			}
			if c == '{' && b[j] == '}' || c == '[' && b[j] == ']' {
				i = j + 1
				s.deepest = max(s.deepest, len(s.stack)+1)
				break
			}
			s.stack = append(s.stack, c)
			s.deepest = max(s.deepest, len(s.stack))
			i = j
			if c == '{' {
				if i, st = s.key(b, i); st != scanOK {
					return i, st, "expected a string key and ':'"
				}
			}
			continue
		case 't':
			i, st = skipLiteral(b, i, "true")
		case 'f':
			i, st = skipLiteral(b, i, "false")
		case 'n':
			i, st = skipLiteral(b, i, "null")
		default:
			if c == '-' || isDigit(c) {
				i, st = skipNumber(b, i, s.eof)
			} else {
				return i, scanBad, "expected a value"
			}
		}
		switch st {
		case scanMore:
			return i, st, ""
		case scanBad:
			return i, st, "invalid literal or number"
		}
		// After a value: close containers, or move to the next member.
		for {
			if len(s.stack) == 0 {
				return i, scanOK, ""
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, scanMore, ""
			}
			top := s.stack[len(s.stack)-1]
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if top == '{' {
					if i, st = s.key(b, i); st != scanOK {
						return i, st, "expected a string key and ':'"
					}
				}
				break
			}
			if top == '{' && b[i] == '}' || top == '[' && b[i] == ']' {
				s.stack = s.stack[:len(s.stack)-1]
				i++
				continue
			}
			return i, scanBad, "expected ',' or the end of the object or list"
		}
		i = skipSpace(b, i)
	}
}

// key scans a member's key and its ':' at b[i], and the space after them.
func (s *skipper) key(b []byte, i int) (int, scanStatus) {
	if i >= len(b) {
		return i, scanMore
	}
	if b[i] != '"' {
		return i, scanBad
	}
	i, _, st := skipString(b, i)
	if st != scanOK {
		return i, st
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, scanMore
	}
	if b[i] != ':' {
		return i, scanBad
	}
	return skipSpace(b, i+1), scanOK
}
