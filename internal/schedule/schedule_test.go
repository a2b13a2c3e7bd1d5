package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/schedule"
)

// sends records what the use case asks the queue to send.
type sends struct {
	jobs   []queue.Job
	delays []time.Duration
	err    error
}

func (s *sends) Send(_ context.Context, j queue.Job, d time.Duration) error {
	if s.err != nil {
		return s.err
	}
	s.jobs, s.delays = append(s.jobs, j), append(s.delays, d)
	return nil
}

type marks struct {
	marked []string
	err    error
}

func (m *marks) MarkSent(_ context.Context, d lead.DueChange, _ time.Time) error {
	m.marked = append(m.marked, d.ChangeID)
	return m.err
}

func TestOfferSendsOnlyChangesDueWithinTheQueueDelay(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	q, m := &sends{}, &marks{}
	d := &schedule.Dispatcher{Queue: q, Sent: m, Now: func() time.Time { return now }}
	soon := lead.DueChange{TenantID: "ta", LeadID: "ld_1", ChangeID: "sc_soon", At: now.Add(90*time.Second + 500*time.Millisecond)}
	later := lead.DueChange{TenantID: "ta", LeadID: "ld_2", ChangeID: "sc_later", At: now.Add(schedule.Within + time.Second)}

	if sent, err := d.Offer(context.Background(), soon); !sent || err != nil {
		t.Fatalf("soon: sent %v, %v", sent, err)
	}
	if sent, err := d.Offer(context.Background(), later); sent || err != nil {
		t.Fatalf("later: sent %v, %v; want left to the sweeper", sent, err)
	}
	if len(q.jobs) != 1 || q.jobs[0].Type != jobs.TypeScheduledChange || q.jobs[0].ID != "sc_soon" || q.delays[0] != 90*time.Second {
		t.Fatalf("sent %+v with delays %v; want sc_soon delayed 90 s", q.jobs, q.delays)
	}
	var p jobs.ScheduledChangePayload
	if err := json.Unmarshal(q.jobs[0].Payload, &p); err != nil || p.LeadID != "ld_1" || !p.At.Equal(soon.At) {
		t.Fatalf("payload %s (%v)", q.jobs[0].Payload, err)
	}
	if len(m.marked) != 1 || m.marked[0] != "sc_soon" {
		t.Fatalf("marked %v", m.marked)
	}
}

// A failed send is an error and marks nothing; a failed mark after a send
// is not (the message is out; the sweeper only re-sends it later).
func TestSendErrorsAndMarks(t *testing.T) {
	now := time.Now()
	c := lead.DueChange{TenantID: "ta", LeadID: "ld_1", ChangeID: "sc_1", At: now.Add(time.Minute)}
	m := &marks{}
	d := &schedule.Dispatcher{Queue: &sends{err: errors.New("throttled")}, Sent: m}
	if err := d.Send(context.Background(), c); err == nil || len(m.marked) != 0 {
		t.Fatalf("failed send: err %v, marked %v", err, m.marked)
	}
	d = &schedule.Dispatcher{Queue: &sends{}, Sent: &marks{err: errors.New("table busy")}}
	if err := d.Send(context.Background(), c); err != nil {
		t.Fatalf("failed mark: %v", err)
	}
	if err := (&schedule.Dispatcher{}).Send(context.Background(), c); err == nil {
		t.Fatal("no queue: no error")
	}
}
