package lead

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes make ids self-describing in logs and URLs.
const (
	PrefixLead    = "ld_"
	PrefixContact = "ct_"
	PrefixNote    = "nt_"
	PrefixEvent   = "ev_"
	PrefixMessage = "msg_"
)

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns prefix + a lower-case ULID for t. ULIDs sort by time, so
// store keys built from them keep history and notes in order; the monotonic
// source keeps ids made in the same millisecond ordered too.
func NewID(prefix string, t time.Time) string {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return prefix + strings.ToLower(ulid.MustNew(ulid.Timestamp(t), entropy).String())
}

// IDTime returns the time encoded in an id made by NewID.
func IDTime(id string) (time.Time, bool) {
	i := strings.IndexByte(id, '_')
	u, err := ulid.ParseStrict(strings.ToUpper(id[i+1:]))
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(u.Time()), true
}
