// Package dynamo is the DynamoDB store: one table, item collections, and
// transactions for everything that must not be half-written. It implements
// the storage interfaces of internal/httpapi.
//
// # Item layout
//
// Every key starts with the tenant, so a bug in a handler cannot reach another
// account's data by guessing an id: the tenant is part of the address.
//
//	PK                                   SK                       what
//	T#<tenant>                           ACCOUNT                  account
//	T#<tenant>                           SITE#<site_id>           site
//	T#<tenant>                           USER#<user_id>           console user
//	SITEKEY#<key>                        SITEKEY                  copy of the site, by public key
//	SITEKEY#<key>#<0-7>                  GUARD                    revoked-key tombstone a capture checks, one of 8 by hash (ttl; see sitekey.go)
//	T#<tenant>#LEAD#<lead_id>            META                     the lead
//	T#<tenant>#LEAD#<lead_id>            NOTE#<note_id>           note
//	T#<tenant>#LEAD#<lead_id>            EVT#<event_id>           history entry
//	T#<tenant>#LEAD#<lead_id>            MSG#<at>#<hash12>        conversation message
//	T#<tenant>#KEY#<kind>#<value>        KEY                      identity key → lead_id, contact_id
//	T#<tenant>#KEY#<kind>#<value>        LEAD#<lead_id>           key of a non-unique account kind, one per lead (identity.go)
//	T#<tenant>#RL#<site_id>#<ip>         RL                       sliding-window rate-limit counters w<slice> (ttl; see ratelimit.go)
//	T#<tenant>#RL#key#<api_key_id>       RL                       the same, per API key
//	T#<tenant>                           APIKEY#<id>              account API key (hash of the secret, never the secret)
//	APIKEYHASH#<sha256>                  APIKEY                   copy of the API key, by the hash of its secret
//	T#<tenant>#LEAD#<lead_id>            ~IX#<kind>#<value>       list-index entry, keys only (GSI3/4; GSI5 on all, sentiment, ticket; sharded; see index.go)
//	T#<tenant>#LEAD#<lead_id>            ~IXQ#<token>             search-token entry, keys only (GSI3 T#<t>#Q#<first rune>)
//	T#<tenant>#LEAD#<lead_id>            PURGE                    soft-deleted lead's purge entry (GSI2 PURGE#<n>; see purge.go)
//	T#<tenant>#LEAD#<lead_id>            DUP#<other>#<kind>#<v>   duplicate candidate a capture recorded (capture.go)
//	T#<tenant>#LEAD#<lead_id>            MERGED#<merge_id>        the lead took part in a merge (merge.go)
//	T#<tenant>#MERGE#<merge_id>          MERGE / E#<nnnn>         merge record and its before/after images, ttl 30 days (merge.go)
//	T#<tenant>                           GROUP#<id> / GROUPNAME#  lead group / its unique name
//	T#<tenant>                           SFILTER#<id>             saved list filter
//	T#<tenant>                           JOB#<id>                 job record (bulk action progress)
//	T#<tenant>                           IMPORT#<id>[#C|#R#<n>]   CSV import: meta, rows and results per chunk
//	T#<tenant>#LEAD#<lead_id>            TASK#<task_id>           agenda record (GSI2 my tasks, GSI3 statistics; see tasks.go)
//	T#<tenant>#LEAD#<lead_id>            REMIND#<task_id>         its pending reminder (GSI2 REMIND#<n>; see reminders.go)
//	T#<tenant>#DUENOW#<user_id>          <task_id>                due-now notification of a fired reminder (reminders.go)
//	MIGRATION                            INDEX#v3                 list-index backfill progress (backfill.go)
//	T#<tenant>#INT#<interaction_id>      META / MSG#… / EVT#…     interaction, its messages and events (interactions.go)
//	T#<tenant>#INTX#<channel>#<ext_id>   KEY                      interaction upsert key → interaction_id
//	T#<tenant>#PROTO#<protocol>          KEY                      protocol number → interaction_id (unique)
//	T#<tenant>#LEAD#<lead_id>            TL#<opened_at>#<int_id>  timeline summary of one interaction of the lead
//
// Why this shape:
//
//   - SITEKEY is the one key without a tenant prefix: a capture arrives with
//     nothing but the public site key, and that key is how it finds its
//     tenant. The item holds a full copy of the site (written in the same
//     transaction as the site item), so resolving a key is one GetItem.
//     Its guard items (SITEKEY#<key>#<n>) carry no tenant either: they
//     exist only as tombstones of a rotated key.
//   - A lead and everything that belongs to it share one partition, so the
//     detail screen is one Query; its index entries sort last ("~"), so
//     that Query stops before them. Note and event ids are ULIDs, so SK order
//     is time order; history and notes page newest first by querying
//     backwards. Messages are keyed by their own time (fixed width, UTC,
//     milliseconds) plus a hash of speaker, text and time: the key is
//     deterministic, so a re-posted transcript overwrites identical items
//     instead of duplicating them.
//   - Identity keys (external id per site, CPF/CNPJ, e-mail, phone) are
//     their own items, written with attribute_not_exists in the same
//     transaction as the lead. Two concurrent captures of the same person
//     cannot both create a lead: one transaction wins, the other is
//     cancelled and its cancellation reasons (ALL_OLD) name the winner.
//   - The rate-limit counters are updated in the capture transaction itself,
//     so a refused capture writes nothing and an accepted one counts once;
//     they are attributes of one item per subject (2 WCU a capture).
//   - The capture transaction checks that its site key was not revoked on
//     one of 8 guard items, not on the lookup item: no key shared by a
//     site's captures takes more than a fraction of a WCU per capture.
//   - Lists read the list indexes (GSI3/4/5, index.go); GSI1, which once
//     held every lead by created time, was read by nothing and is gone.
//   - GSI2 is the due-time index: scheduled changes in partitions DUE#<n>
//     (schedule.go), purges of soft-deleted leads in PURGE#<n>
//     (purge.go) and agenda reminders in REMIND#<n> (reminders.go), so a
//     sweep of one kind never reads another.
//   - Every mutable item carries version; writes are conditional on the
//     version read (optimistic locking), which the API exposes as ETag.
//
// Item attributes come from the domain types' json tags (attributevalue
// with TagKey "json"); the store adds the key attributes and tenant_id.
package dynamo
