package lead

import "time"

// NoteEvent is the history entry of a note being added (before nil), edited,
// or deleted (after nil). History keeps the note's id and text, so a deleted
// note can still be read in the audit trail.
func NoteEvent(action string, actor Actor, now time.Time, before, after *Note) Event {
	ev := Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: action, Field: "notes"}
	if before != nil {
		ev.Before = noteRef(*before)
	}
	if after != nil {
		ev.After = noteRef(*after)
	}
	return ev
}

func noteRef(n Note) map[string]string { return map[string]string{"id": n.ID, "text": n.Text} }
