package agenda

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/task"
)

// StatsHeader is the columns of the statistics download: the records the
// screen lists, one a row.
var StatsHeader = []string{"created_at", "lead_id", "id", "description", "type", "assignee_id", "author_id", "due_date", "due_time", "status", "done_at"}

// StatsRow is one record as a row of the download.
func StatsRow(t task.Task, now time.Time) []string {
	done := ""
	if t.DoneAt != nil {
		done = t.DoneAt.UTC().Format(time.RFC3339)
	}
	return []string{t.CreatedAt.UTC().Format(time.RFC3339), t.LeadID, t.ID, t.Description, t.Type, t.AssigneeID, t.AuthorID,
		t.DueDate, t.DueTime, string(t.StatusAt(now)), done}
}

// WriteStats writes the records of st as csv or xlsx (formulas neutralized).
func WriteStats(w io.Writer, format string, st task.Stats, now time.Time) error {
	switch format {
	case "xlsx":
		sh, err := export.NewXLSXWith(w, StatsHeader)
		if err != nil {
			return err
		}
		for _, r := range st.Records {
			if err := sh.WriteRow(StatsRow(r, now)); err != nil {
				return err
			}
		}
		return sh.Close()
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(StatsHeader); err != nil {
			return err
		}
		for _, r := range st.Records {
			row := StatsRow(r, now)
			for i := range row {
				row[i] = export.Neutralize(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("format %s: %w", strconv.Quote(format), errFormat)
}

var errFormat = fmt.Errorf("not csv or xlsx")
