package task

import (
	"sort"
	"time"
)

// Stats are the agenda's statistics over records created in a range: how
// many of each type, per assignee and per status, and the records.
type Stats struct {
	From       string         `json:"from"`
	To         string         `json:"to"`
	Total      int            `json:"total"`
	ByType     map[string]int `json:"by_type"`
	ByAssignee map[string]int `json:"by_assignee"`
	ByStatus   map[Status]int `json:"by_status"` // pending (not yet due), overdue, done
	Records    []Task         `json:"records"`
}

// StatusAt is a record's status for statistics: done, overdue or pending.
func (t Task) StatusAt(now time.Time) Status {
	switch {
	case t.Done:
		return StatusDone
	case t.Overdue(now):
		return StatusOverdue
	}
	return StatusPending
}

// Summarize counts records (already limited to the range) at now. Records
// are listed oldest first; a record without a type counts under "".
func Summarize(from, to string, records []Task, now time.Time) Stats {
	st := Stats{From: from, To: to, ByType: map[string]int{}, ByAssignee: map[string]int{},
		ByStatus: map[Status]int{StatusPending: 0, StatusOverdue: 0, StatusDone: 0}, Records: []Task{}}
	for _, r := range records {
		st.Total++
		st.ByType[r.Type]++
		st.ByAssignee[r.AssigneeID]++
		st.ByStatus[r.StatusAt(now)]++
		st.Records = append(st.Records, r)
	}
	sort.SliceStable(st.Records, func(i, j int) bool { return st.Records[i].CreatedAt.Before(st.Records[j].CreatedAt) })
	return st
}
