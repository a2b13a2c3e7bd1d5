package lead

import (
	"errors"
	"fmt"
	"time"
)

// Consent is what a person agreed to (or declined) on a form or chatbot:
// the text shown, whether the box was checked, when, and on which page.
// Captures append their consent to the lead; nothing ever removes one
// (the record is the proof), except erasing the person.
type Consent struct {
	Text    string    `json:"text"`
	Checked bool      `json:"checked"`
	At      time.Time `json:"at"`
	Page    string    `json:"page,omitempty"`
}

// Consent bounds.
const (
	MaxConsentText = 2000
	MaxConsentPage = 2048
	// MaxLeadConsents bounds the records one lead keeps; the oldest go
	// first past it (the latest consent is the one in force).
	MaxLeadConsents = 20
)

// ErrMerged is wrapped (with *MergedError) by reads of a lead merged into
// another.
var ErrMerged = errors.New("lead merged into another")

// MergedError says a lead was merged into Into: it is not found, and the
// caller may follow Into.
type MergedError struct{ ID, Into string }

func (e *MergedError) Error() string { return fmt.Sprintf("lead %s was merged into %s", e.ID, e.Into) }

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err, ErrMerged) true.
func (e *MergedError) Is(target error) bool { return target == ErrNotFound || target == ErrMerged }

// AddConsent appends c to the lead's records (dropping the oldest past
// MaxLeadConsents) unless the same record is already there.
func (l *Lead) AddConsent(c Consent) {
	if c.Text == "" {
		return
	}
	for _, o := range l.Consents {
		if o.Text == c.Text && o.Checked == c.Checked && o.At.Equal(c.At) && o.Page == c.Page {
			return
		}
	}
	l.Consents = append(l.Consents, c)
	if n := len(l.Consents); n > MaxLeadConsents {
		l.Consents = l.Consents[n-MaxLeadConsents:]
	}
}
