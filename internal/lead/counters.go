package lead

// Occurrences counts a lead's interactions by polarity (an interaction
// without one counts as neutral).
type Occurrences struct {
	Positive int `json:"positive"`
	Neutral  int `json:"neutral"`
	Negative int `json:"negative"`
}

// Total is the number of interactions counted.
func (o Occurrences) Total() int { return o.Positive + o.Neutral + o.Negative }

// Tickets counts a lead's interactions by status.
type Tickets struct {
	Open     int `json:"open"`
	Answered int `json:"answered"`
	Finished int `json:"finished"`
}

// Polarities, in the order lists and filters name them.
const (
	PolarityPositive = "positive"
	PolarityNeutral  = "neutral"
	PolarityNegative = "negative"
)

// Ticket statuses.
const (
	TicketOpen     = "open"
	TicketAnswered = "answered"
	TicketFinished = "finished"
)

// Sentiment is the positive share of the polarized (positive or negative)
// occurrences, 0–100 rounded to the nearest whole number; nil when there
// are none, so "no opinion yet" is never shown as 0 %.
func (o Occurrences) Sentiment() *int {
	polarized := o.Positive + o.Negative
	if polarized <= 0 {
		return nil
	}
	v := (200*o.Positive + polarized) / (2 * polarized) // round half up
	return &v
}

// Dominant is the polarity with the most occurrences ("" when none). Ties
// go to neutral, then negative: a lead is only "positive" when positives
// outnumber both.
func (o Occurrences) Dominant() string {
	switch {
	case o.Total() <= 0:
		return ""
	case o.Neutral >= o.Positive && o.Neutral >= o.Negative:
		return PolarityNeutral
	case o.Negative >= o.Positive:
		return PolarityNegative
	default:
		return PolarityPositive
	}
}

// Statuses lists the ticket statuses the lead has at least one ticket in.
func (t Tickets) Statuses() []string {
	var out []string
	for _, s := range []struct {
		name string
		n    int
	}{{TicketOpen, t.Open}, {TicketAnswered, t.Answered}, {TicketFinished, t.Finished}} {
		if s.n > 0 {
			out = append(out, s.name)
		}
	}
	return out
}

// CounterDelta is what one interaction change does to its lead's counters.
type CounterDelta struct {
	Occurrences  Occurrences
	Tickets      Tickets
	Interactions int
}

// Zero reports whether the delta changes nothing.
func (d CounterDelta) Zero() bool { return d == CounterDelta{} }

// Add returns d + e.
func (d CounterDelta) Add(e CounterDelta) CounterDelta {
	return CounterDelta{
		Occurrences: Occurrences{
			Positive: d.Occurrences.Positive + e.Occurrences.Positive,
			Neutral:  d.Occurrences.Neutral + e.Occurrences.Neutral,
			Negative: d.Occurrences.Negative + e.Occurrences.Negative,
		},
		Tickets: Tickets{
			Open:     d.Tickets.Open + e.Tickets.Open,
			Answered: d.Tickets.Answered + e.Tickets.Answered,
			Finished: d.Tickets.Finished + e.Tickets.Finished,
		},
		Interactions: d.Interactions + e.Interactions,
	}
}

// ApplyCounters adds d to the lead's counters and refreshes its sentiment.
func (l *Lead) ApplyCounters(d CounterDelta) {
	c := CounterDelta{Occurrences: l.Occurrences, Tickets: l.Tickets, Interactions: l.Interactions}.Add(d)
	l.Occurrences, l.Tickets, l.Interactions = c.Occurrences, c.Tickets, c.Interactions
	l.Sentiment = l.Occurrences.Sentiment()
}
