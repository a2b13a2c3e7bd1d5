package httpapi

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/lead"
)

// FuzzDecodeBody: the one body decoder, on the console's write bodies
// (scheduled change, bulk, saved filter), never panics; it either fills the
// struct or names one field with a code, and what it accepts holds valid
// UTF-8 only. Seeds live in testdata/fuzz/FuzzDecodeBody.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"state": "in_progress", "at": "2026-12-05T09:00:00-03:00"}`))
	f.Add([]byte(`{"state": "no_sale", "at": "2026-12-05T09:00:00Z", "owner_id": "usr_1"}`))
	f.Add([]byte(`{"action": "add_tag", "tag": "vip", "filter": {"q": "ana"}, "ids": ["ld_1"]}`))
	f.Add([]byte(`{"name": "Mine", "filter": {"state": "new"}, "shared": true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var sb scheduleBody
		checkDecoded(t, body, decodeStrict(body, &sb), deref(sb.State), deref(sb.SubState), deref(sb.At))
		var bb bulkBody
		fe := decodeStrict(body, &bb)
		checkDecoded(t, body, fe, append([]string{bb.Action, bb.Tag, bb.GroupID, bb.State, bb.SubState, deref(bb.OwnerID)}, bb.IDs...)...)
		var fb savedFilterBody
		fe = decodeStrict(body, &fb)
		strs := []string{deref(fb.Name), deref(fb.Sort)}
		if fb.Filter != nil {
			for k, v := range *fb.Filter {
				strs = append(strs, k, v)
			}
		}
		checkDecoded(t, body, fe, strs...)
	})
}

func checkDecoded(t *testing.T, body []byte, fe *lead.FieldError, strs ...string) {
	t.Helper()
	if fe != nil {
		if fe.Field == "" || fe.Code == "" {
			t.Fatalf("field error without field or code: %+v", fe)
		}
		return
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Fatalf("accepted invalid UTF-8 %q from %q", s, body)
		}
	}
}

// FuzzDecodeNote: a note body is refused with a named field, or gives text
// that is not blank, holds no control character but tab and newline, and
// fits the cap. Seeds live in testdata/fuzz/FuzzDecodeNote.
func FuzzDecodeNote(f *testing.F) {
	f.Add([]byte(`{"text": "Ligar amanhã às 10h"}`))
	f.Add([]byte(`{"text": "   \u0000 "}`))
	f.Add([]byte(`{"text": "a\r\nb\u001b[2J"}`))
	f.Add([]byte(`{"text": "ok", "pinned": true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		text, err := decodeNote(body)
		if err != nil {
			if fe := fieldErrorsOf(err); len(fe) != 1 || fe[0].Field == "" || fe[0].Code == "" {
				t.Fatalf("note error %v does not name one field", err)
			}
			return
		}
		if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxNoteLength || !utf8.ValidString(text) {
			t.Fatalf("accepted note %q from %q", text, body)
		}
		if strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			t.Fatalf("accepted note %q keeps a control character", text)
		}
	})
}

func fieldErrorsOf(err error) []lead.FieldError {
	var inv *lead.InvalidError
	if errors.As(err, &inv) {
		return inv.Errors
	}
	return nil
}
