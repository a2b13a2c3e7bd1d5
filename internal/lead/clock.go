package lead

import "time"

// Clock is a use case's source of time: nil means time.Now; tests and
// the bulk runner pin it.
type Clock func() time.Time

// UTC is the clock's time, in UTC.
func (c Clock) UTC() time.Time {
	if c != nil {
		return c().UTC()
	}
	return time.Now().UTC()
}
