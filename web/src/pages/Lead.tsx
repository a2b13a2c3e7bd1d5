import { useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, query, request, fieldErrorIn } from '../api/client';
import { humanize, useAccount, useMe, useUserName, useUsers } from '../api/hooks';
import { STATES, type HistoryEvent, type Lead, type LeadDetail, type Message, type Note, type Page } from '../api/types';
import { readFilters } from '../filters';
import { useFormat } from '../format';
import { useShortcuts } from '../keys';
import { useMediaQuery } from '../media';
import { Button, ErrorBox, FormError, Select, Spinner, Stars, Tabs, TextArea, type TabDef } from '../ui';
import { ContactTab, NavigationTab } from './lead/Contact';
import { ScheduleDialog } from './lead/Schedule';
import { TasksTab } from './lead/Tasks';
import { DuplicatesTab } from './lead/Duplicates';
import { Consents } from './lead/Consents';
import { LeadKeys } from './lead/Keys';
import { TimelineTab } from './lead/Timeline';

export interface LeadAnswer {
  lead: LeadDetail;
  etag: string | null;
}

export type PatchBody = Record<string, unknown>;

/** PATCH with If-Match; a 412 is kept so the screen can explain it and reload without losing input. */
export function useLeadPatch(id: string, etag: string | null) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: PatchBody) => request<Lead>(`/v1/leads/${id}`, { method: 'PATCH', body, ifMatch: etag }),
    onSuccess: (answer) => {
      // The answer is the changed lead and its new ETag: show it at once, then refresh the rest.
      qc.setQueryData<LeadAnswer>(['lead', id], (old) => (old ? { lead: { ...old.lead, ...answer.data }, etag: answer.etag ?? old.etag } : old));
      void qc.invalidateQueries({ queryKey: ['lead', id] });
      void qc.invalidateQueries({ queryKey: ['history', id] });
      void qc.invalidateQueries({ queryKey: ['leads'] });
    },
  });
}

export default function LeadPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const detail = useQuery({
    queryKey: ['lead', id],
    queryFn: async ({ signal }): Promise<LeadAnswer> => {
      const a = await request<LeadDetail>(`/v1/leads/${encodeURIComponent(id)}`, { signal });
      return { lead: a.data, etag: a.etag };
    },
  });
  if (detail.isPending) return <Spinner />;
  if (detail.isError) {
    if (detail.error instanceof ApiError && detail.error.status === 404) {
      return (
        <section>
          <h1>{t('lead.notFound')}</h1>
          <Link to="/leads">{t('nav.leads')}</Link>
        </section>
      );
    }
    return <ErrorBox error={detail.error} />;
  }
  return <LeadView key={id} answer={detail.data} reload={() => detail.refetch()} />;
}

function LeadView({ answer, reload }: { answer: LeadAnswer; reload: () => void }) {
  const { t } = useTranslation();
  const { lead, etag } = answer;
  const phone = useMediaQuery('(max-width: 760px)');
  const patch = useLeadPatch(lead.id, etag);
  const stale = patch.error instanceof ApiError && patch.error.status === 412;
  const [contactTab, setContactTab] = useState('contact');
  const [actionsTab, setActionsTab] = useState('notes');
  const [phoneTab, setPhoneTab] = useState('contact');
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const nav = useNeighbors(lead.id);
  const navigate = useNavigate();

  useShortcuts({
    '[': () => {
      if (nav.prevHref) navigate(nav.prevHref);
    },
    ']': () => {
      if (nav.nextHref) navigate(nav.nextHref);
    },
    ...Object.fromEntries([0, 1, 2, 3, 4, 5].map((n) => [String(n), () => patch.mutate({ rating: n })])),
    n: () => {
      setActionsTab('notes');
      setPhoneTab('actions');
      setTimeout(() => noteRef.current?.focus(), 0);
    },
  });

  const column = (name: 'contact' | 'actions', label: string, selected: string, onSelect: (id: string) => void, tabs: TabDef[]) => (
    <section className={`col col-${name}`} aria-label={label}>
      <Tabs label={label} selected={selected} onSelect={onSelect} tabs={tabs} />
    </section>
  );
  const contact = column('contact', t('lead.contactColumn'), contactTab, setContactTab, [
    {
      id: 'contact',
      label: t('lead.tabs.contact'),
      content: (
        <>
          <ContactTab lead={lead} etag={etag} />
          <LeadKeys lead={lead} />
          <Consents lead={lead} />
        </>
      ),
    },
    { id: 'navigation', label: t('lead.tabs.navigation'), content: <NavigationTab lead={lead} /> },
    { id: 'duplicates', label: t('duplicates.tab'), content: <DuplicatesTab lead={lead} /> },
  ]);
  const actions = column('actions', t('lead.actionsColumn'), actionsTab, setActionsTab, [
    { id: 'notes', label: t('lead.tabs.notes'), content: <Notes lead={lead} noteRef={noteRef} /> },
    { id: 'history', label: t('lead.tabs.history'), content: <History leadId={lead.id} /> },
    { id: 'tasks', label: t('tasks.tab'), content: <TasksTab leadId={lead.id} /> },
    { id: 'timeline', label: t('timeline.tab'), content: <TimelineTab lead={lead} /> },
  ]);
  const conversation = <Conversation lead={lead} />;
  return (
    <article className="lead">
      <LeadHeader lead={lead} etag={etag} patch={patch} nav={nav} />
      {stale && (
        <div className="conflict" role="alert">
          <p>{t('lead.stale')}</p>
          <Button
            variant="primary"
            onClick={() => {
              patch.reset();
              reload();
            }}
          >
            {t('lead.reload')}
          </Button>
        </div>
      )}
      {!stale && <FormError error={patch.error} />}
      {phone ? (
        <Tabs
          className="phone-columns"
          label={t('lead.columns')}
          selected={phoneTab}
          onSelect={setPhoneTab}
          tabs={[
            { id: 'contact', label: t('lead.contactColumn'), content: contact },
            { id: 'actions', label: t('lead.actionsColumn'), content: actions },
            { id: 'conversation', label: t('lead.conversationColumn'), content: conversation },
          ]}
        />
      ) : (
        <div className="columns">
          {contact}
          {actions}
          {conversation}
        </div>
      )}
    </article>
  );
}

function useNeighbors(id: string) {
  const [params] = useSearchParams();
  const filters = readFilters(params);
  const sort = params.get('sort') ?? undefined;
  const search = params.toString();
  const q = useQuery({
    queryKey: ['neighbors', id, search],
    queryFn: ({ signal }) => get<{ prev_id: string | null; next_id: string | null }>(`/v1/leads/${id}/neighbors${query({ ...filters, sort })}`, signal),
  });
  const href = (other: string | null | undefined) => (other ? `/leads/${other}${search ? `?${search}` : ''}` : null);
  return { prevHref: href(q.data?.prev_id), nextHref: href(q.data?.next_id), listHref: `/leads${search ? `?${search}` : ''}` };
}

function LeadHeader({ lead, etag, patch, nav }: { lead: LeadDetail; etag: string | null; patch: ReturnType<typeof useLeadPatch>; nav: ReturnType<typeof useNeighbors> }) {
  const { t } = useTranslation();
  const me = useMe();
  const users = useUsers();
  const account = useAccount();
  const fmt = useFormat();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(lead.name);
  const [scheduling, setScheduling] = useState(false);
  const isAdmin = me.data?.role === 'admin';
  const fe = (f: string) => fieldErrorIn(patch.error, f);
  const subStates = account.data?.sub_states?.[lead.state] ?? [];
  const cancel = useMutation({
    mutationFn: () => request(`/v1/leads/${lead.id}/scheduled-changes/${lead.scheduled_change!.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['lead', lead.id] });
      void qc.invalidateQueries({ queryKey: ['history', lead.id] });
    },
  });
  const saveName = () =>
    patch.mutate(
      { name },
      {
        onSuccess: () => setEditing(false),
      },
    );
  const subOptions = [{ value: '', label: '—' }, ...subStates.map((s) => ({ value: s.id, label: s.label }))];
  if (lead.sub_state && !subStates.some((s) => s.id === lead.sub_state)) subOptions.push({ value: lead.sub_state, label: humanize(lead.sub_state) });
  const stale = patch.error instanceof ApiError && patch.error.status === 412;
  return (
    <header className="lead-header">
      <div className="lead-title">
        <Link to={nav.listHref} className="back">
          ← {t('nav.leads')}
        </Link>
        {editing ? (
          <form
            className="name-edit"
            onSubmit={(e) => {
              e.preventDefault();
              saveName();
            }}
          >
            <h1 className="visually-hidden">{lead.name}</h1>
            <div className="field">
              <label htmlFor="lead-name" className="visually-hidden">
                {t('lead.name')}
              </label>
              <input id="lead-name" value={name} onChange={(e) => setName(e.target.value)} autoFocus aria-invalid={!!fe('name') || undefined} className="name-input" />
              {fe('name') && (
                <small className="field-error" role="alert">
                  {fe('name')}
                </small>
              )}
            </div>
            <Button type="submit" variant="primary" disabled={patch.isPending || stale}>
              {t('common.save')}
            </Button>
            <Button
              onClick={() => {
                setEditing(false);
                setName(lead.name);
                patch.reset();
              }}
            >
              {t('common.cancel')}
            </Button>
          </form>
        ) : (
          <>
            <h1>{lead.name || t('lead.noName')}</h1>
            <Button variant="ghost" onClick={() => setEditing(true)} aria-label={t('lead.editName')}>
              ✎
            </Button>
          </>
        )}
      </div>
      <div className="lead-controls">
        <Stars value={patch.isPending && typeof patch.variables?.rating === 'number' ? patch.variables.rating : lead.rating} label={t('lead.rating')} onChange={(n) => patch.mutate({ rating: n })} />
        <Select
          label={t('lead.state')}
          value={patch.isPending && typeof patch.variables?.state === 'string' ? patch.variables.state : lead.state}
          onChange={(e) => patch.mutate({ state: e.target.value, sub_state: null })}
          options={STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))}
          error={fe('state')}
          disabled={patch.isPending}
        />
        <Select label={t('lead.subState')} value={lead.sub_state ?? ''} onChange={(e) => patch.mutate({ sub_state: e.target.value || null })} options={subOptions} error={fe('sub_state')} disabled={patch.isPending} />
        {isAdmin && (
          <Select
            label={t('lead.owner')}
            value={lead.owner_id ?? ''}
            onChange={(e) => patch.mutate({ owner_id: e.target.value || null })}
            options={[{ value: '', label: t('lead.unassigned') }, ...(users.data ?? []).filter((u) => u.active || u.id === lead.owner_id).map((u) => ({ value: u.id, label: u.name }))]}
            error={fe('owner_id')}
            disabled={patch.isPending}
          />
        )}
        {!isAdmin && (
          <p className="owner-readonly">
            <span className="muted">{t('lead.owner')}:</span> <OwnerName id={lead.owner_id} />
          </p>
        )}
        <div className="schedule">
          {lead.scheduled_change ? (
            <p className="pending" role="status">
              {t('schedule.pending', { state: t(`states.${lead.scheduled_change.state}`), at: fmt.dateTime(lead.scheduled_change.at) })}{' '}
              <Button variant="danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
                {t('schedule.cancel')}
              </Button>
            </p>
          ) : null}
          <Button onClick={() => setScheduling(true)}>{t('schedule.open')}</Button>
          {cancel.isError && <ErrorBox error={cancel.error} />}
        </div>
        <nav className="prevnext" aria-label={t('lead.prevNext')}>
          {nav.prevHref ? (
            <Link to={nav.prevHref} className="btn btn-secondary" aria-label={t('lead.prev')}>
              ‹ <span aria-hidden="true">{t('lead.prevShort')}</span>
            </Link>
          ) : (
            <Button disabled aria-label={t('lead.prev')}>
              ‹
            </Button>
          )}
          {nav.nextHref ? (
            <Link to={nav.nextHref} className="btn btn-secondary" aria-label={t('lead.next')}>
              <span aria-hidden="true">{t('lead.nextShort')}</span> ›
            </Link>
          ) : (
            <Button disabled aria-label={t('lead.next')}>
              ›
            </Button>
          )}
        </nav>
      </div>
      <ScheduleDialog open={scheduling} onClose={() => setScheduling(false)} lead={lead} etag={etag} />
    </header>
  );
}

function OwnerName({ id }: { id?: string | null }) {
  const { t } = useTranslation();
  const name = useUserName();
  return <>{id ? name(id) : t('lead.unassigned')}</>;
}

function Notes({ lead, noteRef }: { lead: LeadDetail; noteRef: React.RefObject<HTMLTextAreaElement | null> }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const me = useMe();
  const fmt = useFormat();
  const userName = useUserName();
  const [text, setText] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [editText, setEditText] = useState('');
  const notes = useQuery({
    queryKey: ['notes', lead.id],
    queryFn: ({ signal }) => get<Page<Note>>(`/v1/leads/${lead.id}/notes?limit=50`, signal),
    initialData: { items: lead.notes, next_cursor: lead.notes_next_cursor },
    staleTime: 0,
  });
  const changed = () => {
    void qc.invalidateQueries({ queryKey: ['notes', lead.id] });
    void qc.invalidateQueries({ queryKey: ['history', lead.id] });
  };
  const add = useMutation({
    mutationFn: () => request<Note>(`/v1/leads/${lead.id}/notes`, { method: 'POST', body: { text } }),
    onSuccess: () => {
      setText('');
      changed();
    },
  });
  const edit = useMutation({
    mutationFn: (n: Note) => request<Note>(`/v1/leads/${lead.id}/notes/${n.id}`, { method: 'PATCH', body: { text: editText } }),
    onSuccess: () => {
      setEditing(null);
      changed();
    },
  });
  const remove = useMutation({
    mutationFn: (n: Note) => request(`/v1/leads/${lead.id}/notes/${n.id}`, { method: 'DELETE' }),
    onSuccess: changed,
  });
  const canChange = (n: Note) => me.data?.role === 'admin' || me.data?.user_id === n.author_id;
  return (
    <div className="notes">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) add.mutate();
        }}
      >
        <TextArea label={t('notes.new')} ref={noteRef} value={text} onChange={(e) => setText(e.target.value)} rows={3} error={fieldErrorIn(add.error, 'text')} />
        <Button type="submit" variant="primary" disabled={add.isPending || !text.trim()}>
          {t('notes.add')}
        </Button>
      </form>
      {notes.data.items.length === 0 && <p className="empty">{t('notes.empty')}</p>}
      <ul className="note-list">
        {notes.data.items.map((n) => (
          <li key={n.id} className="note">
            <div className="note-meta">
              <strong>{userName(n.author_id)}</strong> · <time dateTime={n.created_at}>{fmt.dateTime(n.created_at)}</time>
              {n.updated_at !== n.created_at && <span className="muted"> · {t('notes.edited')}</span>}
            </div>
            {editing === n.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  edit.mutate(n);
                }}
              >
                <TextArea label={t('notes.editLabel')} value={editText} onChange={(e) => setEditText(e.target.value)} rows={3} />
                <Button type="submit" variant="primary" disabled={edit.isPending}>
                  {t('common.save')}
                </Button>
                <Button onClick={() => setEditing(null)}>{t('common.cancel')}</Button>
              </form>
            ) : (
              <p className="note-text">{n.text}</p>
            )}
            {canChange(n) && editing !== n.id && (
              <div className="note-actions">
                <Button
                  variant="ghost"
                  onClick={() => {
                    setEditing(n.id);
                    setEditText(n.text);
                  }}
                  aria-label={t('notes.edit')}
                >
                  {t('notes.edit')}
                </Button>
                <Button variant="ghost" onClick={() => remove.mutate(n)} aria-label={t('notes.delete')}>
                  {t('notes.delete')}
                </Button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {(edit.isError || remove.isError) && <ErrorBox error={edit.error ?? remove.error} />}
    </div>
  );
}

/** A history value as text: scheduled changes as "state @ time", lists joined, the rest as JSON. */
function useShow() {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '∅';
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(String).join(', ');
    const o = v as Record<string, unknown>;
    if (typeof o.state === 'string' && typeof o.at === 'string') return `${t(`states.${o.state}`)} @ ${fmt.dateTime(o.at)}`;
    if (typeof o.description === 'string') return [o.description, o.due_date, o.due_time, o.done ? '✓' : ''].filter(Boolean).join(' · '); // an agenda record
    return JSON.stringify(v);
  };
}

/** A lead's history or conversation, page after page (`cursor`). */
function usePaged<T>(kind: 'history' | 'conversation', leadId: string, limit: number) {
  return useInfiniteQuery({
    queryKey: [kind, leadId],
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) => get<Page<T>>(`/v1/leads/${leadId}/${kind}${query({ limit, cursor: pageParam })}`, signal),
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
}

function MoreButton({ pages }: { pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown } }) {
  const { t } = useTranslation();
  if (!pages.hasNextPage) return null;
  return (
    <Button onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
      {t('common.more')}
    </Button>
  );
}

function History({ leadId }: { leadId: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const userName = useUserName();
  const show = useShow();
  const pages = usePaged<HistoryEvent>('history', leadId, 20);
  if (pages.isPending) return <Spinner />;
  if (pages.isError) return <ErrorBox error={pages.error} />;
  const items = pages.data.pages.flatMap((p) => p.items);
  const actor = (e: HistoryEvent) => (e.actor.type === 'user' ? userName(e.actor.id) : t(`actors.${e.actor.type}`));
  return (
    <div className="history">
      {items.length === 0 && <p className="empty">{t('history.empty')}</p>}
      <ol className="history-list">
        {items.map((e) => (
          <li key={e.id}>
            <div className="history-meta">
              <strong>{actor(e)}</strong> · <time dateTime={e.at}>{fmt.dateTime(e.at)}</time> · <span>{t(`history.actions.${e.action}`, { defaultValue: t(`tasks.history.${e.action}`, { defaultValue: e.action }) })}</span>
            </div>
            {e.field && (
              <div className="history-change">
                <span className="history-field">{t(`history.fields.${e.field}`, { defaultValue: e.field })}</span>: <span className="before">{show(e.before)}</span> → <span className="after">{show(e.after)}</span>
              </div>
            )}
          </li>
        ))}
      </ol>
      <MoreButton pages={pages} />
    </div>
  );
}

function Conversation({ lead }: { lead: LeadDetail }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [open, setOpen] = useState(true);
  const pages = usePaged<Message>('conversation', lead.id, 50);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="col col-conversation" aria-label={t('lead.conversation')}>
      <div className="col-head">
        <h2>{t('lead.conversation')}</h2>
        <Button variant="ghost" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? t('conversation.collapse') : t('conversation.expand')}
        </Button>
      </div>
      {open && (
        <>
          {pages.isPending && <Spinner />}
          {pages.isError && <ErrorBox error={pages.error} />}
          {pages.isSuccess && items.length === 0 && <p className="empty">{t('conversation.empty')}</p>}
          <ol className="transcript">
            {items.map((m) => (
              <li key={m.id} className={`msg msg-${m.from}`}>
                <span className="msg-from">{t(`speakers.${m.from}`)}</span>
                <p>{m.text}</p>
                <time dateTime={m.at}>{fmt.dateTime(m.at)}</time>
              </li>
            ))}
          </ol>
          <MoreButton pages={pages} />
        </>
      )}
    </section>
  );
}

export function Definition({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="deflist">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v || '—'}</dd>
        </div>
      ))}
    </dl>
  );
}
