package lead

// Change mutates a lead read from the store and returns the history
// entries describing what it changed. Returning an error aborts the write.
// The store applies it inside its optimistic-locking update; handlers,
// job runners and the worker build them.
type Change func(l *Lead) ([]Event, error)

// NoteChange edits a note in place and returns its history entry.
type NoteChange func(n *Note) (Event, error)
