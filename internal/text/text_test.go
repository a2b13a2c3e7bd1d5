package text

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	for _, c := range []struct {
		name, in string
		r        Rule
		want     string
		code     string
	}{
		{"controls removed", "Ctrl\u0000Name\u0007\u001b[2J", Line, "CtrlName[2J", ""},
		{"trimmed", "  Ana  ", Line, "Ana", ""},
		{"collapse", " Ana \t  Souza\n", Rule{Collapse: true}, "Ana Souza", ""},
		{"line drops newline and tab", "a\nb\tc", Line, "abc", ""},
		{"multiline keeps newline and tab", "a\r\nb\tc\rd\u0000", Rule{Multiline: true}, "a\nb\tc\nd", ""},
		{"blank is required", "   \u0000 ", Rule{Required: true, Multiline: true}, "", CodeRequired},
		{"blank allowed", " \u0007 ", Line, "", ""},
		{"invalid utf-8", "a\xffb", Line, "", CodeInvalid},
		{"too long", strings.Repeat("é", 11), Rule{Max: 10}, "", CodeTooLong},
		{"cap counts characters after cleaning", strings.Repeat("é", 10) + "\u0000\u0000", Rule{Max: 10}, strings.Repeat("é", 10), ""},
		{"del and c1 controls", "a\u007fb\u0085c", Rule{Multiline: true}, "abc", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, fe := Clean("f", c.in, c.r)
			if c.code != "" {
				if fe == nil || fe.Code != c.code || fe.Field != "f" {
					t.Fatalf("Clean(%q) = %q, %v; want error %s on f", c.in, got, fe, c.code)
				}
				return
			}
			if fe != nil || got != c.want {
				t.Fatalf("Clean(%q) = %q, %v; want %q", c.in, got, fe, c.want)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	if got := Sanitize("a\x00b\x1b[2J\xffc\nd", false); got != "ab[2Jcd" {
		t.Fatalf("Sanitize = %q", got)
	}
	if got := Sanitize("a\x00\nb", true); got != "a\nb" {
		t.Fatalf("Sanitize multiline = %q", got)
	}
}

func TestUnquoteJSON(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want string
		err  error
	}{
		{`"ok"`, "ok", nil},
		{`"\ufffd given"`, "\uFFFD given", nil},
		{"\"\uFFFD given\"", "\uFFFD given", nil},
		{`"\ud800 lone"`, "", ErrInvalidUTF8},
		{"\"bad \xff\"", "", ErrInvalidUTF8},
		{`12`, "", ErrNotString},
		{`"\ud83d\ude00"`, "😀", nil},
	} {
		got, err := UnquoteJSON([]byte(c.raw))
		if err != c.err || got != c.want {
			t.Errorf("UnquoteJSON(%s) = %q, %v; want %q, %v", c.raw, got, err, c.want, c.err)
		}
	}
}

func TestInvalidJSONText(t *testing.T) {
	for _, c := range []struct {
		raw   string
		path  string
		found bool
	}{
		{`{"a": "fine", "b": [1, "x"]}`, "", false},
		{"{\"a\": \"fine\", \"name\": \"bad \xff\"}", "name", true},
		{`{"contact": {"attributes": {"k": "\udc00"}}}`, "contact.attributes.k", true},
		{"{\"items\": [\"ok\", \"\xfe\"]}", "items[1]", true},
		{"{\"a\": 1, \"k\xff\": 2}", "k", true},
		{"\"\xff\"", "", true},
		{"not json \xff", "", false},
		{strings.Repeat("[", 40) + "\"\xff\"" + strings.Repeat("]", 40), strings.Repeat("[0]", 33), true},
	} {
		path, found := InvalidJSONText([]byte(c.raw))
		if path != c.path || found != c.found {
			t.Errorf("InvalidJSONText(%q) = %q, %v; want %q, %v", c.raw, path, found, c.path, c.found)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"Ana", "  \u0000 ", "a\xffb", "a\r\nb", strings.Repeat("x", 300)} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		got, fe := Clean("f", s, Rule{Max: 100, Multiline: multiline})
		if fe != nil {
			if fe.Field != "f" || fe.Code == "" {
				t.Fatalf("error without field or code: %+v", fe)
			}
			return
		}
		if strings.TrimSpace(got) != got || len([]rune(got)) > 100 {
			t.Fatalf("Clean(%q) = %q: not trimmed or too long", s, got)
		}
		for _, r := range got {
			if r < 0x20 && !(multiline && (r == '\n' || r == '\t')) || r == 0x7f {
				t.Fatalf("Clean(%q) = %q keeps control %U", s, got, r)
			}
		}
	})
}
