package lead

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes make ids self-describing in logs and URLs. Every id prefix
// of the product is here.
const (
	PrefixLead        = "ld_"
	PrefixContact     = "ct_"
	PrefixNote        = "nt_"
	PrefixEvent       = "ev_"
	PrefixMessage     = "msg_"
	PrefixGroup       = "grp_"
	PrefixSavedFilter = "sf_"
	PrefixJob         = "job_" // job records (bulk actions, exports)
	PrefixImport      = "imp_" // imports (also the id of the import's job record)
	PrefixUpload      = "upl_" // files uploaded for import (s3store.ValidUploadID)
	PrefixInteraction = "int_" // interactions of the timeline (internal/interaction)
)

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns prefix + a lower-case ULID for t. ULIDs sort by time, so
// store keys built from them keep history and notes in order; the monotonic
// source keeps ids made in the same millisecond ordered too. Times a ULID
// cannot hold (before 1970, such as the zero time, or after the year 10889)
// are clamped instead of panicking.
func NewID(prefix string, t time.Time) string {
	var ms uint64
	switch {
	case t.Before(time.UnixMilli(0)):
		ms = 0
	case t.After(ulid.Time(ulid.MaxTime())):
		ms = ulid.MaxTime()
	default:
		ms = ulid.Timestamp(t)
	}
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return prefix + strings.ToLower(ulid.MustNew(ms, entropy).String())
}

// IDTime returns the time (UTC) encoded in an id made by NewID.
func IDTime(id string) (time.Time, bool) {
	i := strings.IndexByte(id, '_')
	u, err := ulid.ParseStrict(strings.ToUpper(id[i+1:]))
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(u.Time()).UTC(), true
}
