package lead

import "testing"

func TestSentimentAndDominant(t *testing.T) {
	cases := []struct {
		o         Occurrences
		sentiment int // -1: null
		dominant  string
	}{
		{Occurrences{}, -1, ""},
		{Occurrences{Neutral: 3}, -1, PolarityNeutral},
		{Occurrences{Positive: 1}, 100, PolarityPositive},
		{Occurrences{Positive: 1, Negative: 1}, 50, PolarityNegative},
		{Occurrences{Positive: 2, Negative: 1, Neutral: 9}, 67, PolarityNeutral},
		{Occurrences{Positive: 1, Negative: 2}, 33, PolarityNegative},
		{Occurrences{Positive: 3, Neutral: 3}, 100, PolarityNeutral},
		{Occurrences{Positive: 4, Neutral: 3, Negative: 1}, 80, PolarityPositive},
	}
	for _, c := range cases {
		s := c.o.Sentiment()
		if (s == nil) != (c.sentiment < 0) || (s != nil && *s != c.sentiment) {
			t.Errorf("%+v: sentiment %v, want %d", c.o, s, c.sentiment)
		}
		if d := c.o.Dominant(); d != c.dominant {
			t.Errorf("%+v: dominant %q, want %q", c.o, d, c.dominant)
		}
	}
}

func TestApplyCounters(t *testing.T) {
	var l Lead
	l.ApplyCounters(CounterDelta{Occurrences: Occurrences{Positive: 1}, Tickets: Tickets{Open: 1}, Interactions: 1})
	l.ApplyCounters(CounterDelta{Tickets: Tickets{Open: -1, Finished: 1}})
	if l.Interactions != 1 || l.Tickets != (Tickets{Finished: 1}) || l.Sentiment == nil || *l.Sentiment != 100 {
		t.Errorf("%+v", l)
	}
	if got := l.Tickets.Statuses(); len(got) != 1 || got[0] != TicketFinished {
		t.Errorf("statuses %v", got)
	}
}

func TestSentimentAndTicketFilters(t *testing.T) {
	l := Lead{Occurrences: Occurrences{Negative: 2, Positive: 1}, Tickets: Tickets{Open: 1, Finished: 2}}
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{Sentiment: PolarityNegative}, true},
		{Filter{Sentiment: PolarityPositive}, false},
		{Filter{TicketStatus: TicketOpen}, true},
		{Filter{TicketStatus: TicketAnswered}, false},
		{Filter{Sentiment: PolarityNegative, TicketStatus: TicketFinished}, true},
	} {
		if got := c.f.Matches(l); got != c.want {
			t.Errorf("%+v matches = %v, want %v", c.f, got, c.want)
		}
	}
	if err := (Query{Filter: Filter{Sentiment: "happy", TicketStatus: "closed"}, Sort: "-occurrences"}).Validate(); err == nil ||
		len(err.(*InvalidError).Errors) != 2 {
		t.Errorf("validate: %v", err)
	}
	for _, s := range []Sort{SortOccurrences, SortOccurrencesDesc} {
		if err := (Query{Sort: s}).Validate(); err != nil {
			t.Errorf("sort %s: %v", s, err)
		}
	}
}
