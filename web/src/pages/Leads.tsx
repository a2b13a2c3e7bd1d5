import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, query } from '../api/client';
import { useMe, useSubStateLabel, useUserName, useUsers } from '../api/hooks';
import { CLASSIFICATIONS, ENTRY_METHODS, SORTS, STATES, type Group, type Lead, type Page } from '../api/types';
import { FILTER_KEYS, PAGE_SIZES, listSearch, readFilters, type Filters } from '../filters';
import { useFormat } from '../format';
import { useShortcuts } from '../keys';
import { Button, Empty, ErrorBox, Select, Spinner, Stars, TextField, type Option, FormError } from '../ui';
import { BulkBar } from './leads/BulkBar';
import { ExportDialog } from './leads/ExportDialog';
import { ImportDialog } from './leads/ImportDialog';
import { SavedFilters } from './leads/SavedFilters';
import { INTERACTION_STATUSES, POLARITIES } from '../api/identity';
import { Occurrences } from './lead/Occurrences';

export function LeadsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const isAdmin = me.data?.role === 'admin';
  const filters = useMemo(() => readFilters(params), [params]);
  const sort = params.get('sort') ?? 'newest';
  const limit = Number(params.get('limit') ?? 20);
  const [cursors, setCursors] = useState<string[]>([]); // cursors of the pages before this one, then this one's
  const cursor = cursors.length ? cursors[cursors.length - 1] : undefined;
  const key = params.toString();
  useEffect(() => setCursors([]), [key]);

  const list = useQuery({
    queryKey: ['leads', key, cursor],
    queryFn: ({ signal }) => get<Page<Lead>>(`/v1/leads${query({ ...filters, sort, limit, cursor })}`, signal),
    placeholderData: (prev) => prev,
  });
  const items = list.data?.items ?? [];

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [key]);
  const pageSelected = items.length > 0 && items.every((l) => selected.has(l.id));
  // "All N matching": counted once the whole page is selected and more pages exist.
  const offerAll = pageSelected && !!list.data?.next_cursor;
  const count = useQuery({
    queryKey: ['leads-count', key],
    queryFn: ({ signal }) => get<{ count: number; exact: boolean }>(`/v1/leads/count${query({ ...filters })}`, signal),
    enabled: offerAll || allMatching,
  });
  const fmt = useFormat();
  const matchingN = count.data ? fmt.number(count.data.count) + (count.data.exact ? '' : '+') : null;

  const [active, setActive] = useState(0);
  const rowRefs = useRef<(HTMLAnchorElement | null)[]>([]);
  useEffect(() => setActive(0), [key, cursor]);
  const detailSearch = listSearch(filters, sort).toString();
  const open = (l: Lead) => navigate(`/leads/${l.id}${detailSearch ? `?${detailSearch}` : ''}`);
  useShortcuts({
    j: () => {
      const n = Math.min(active + 1, items.length - 1);
      setActive(n);
      rowRefs.current[n]?.focus();
    },
    k: () => {
      const n = Math.max(active - 1, 0);
      setActive(n);
      rowRefs.current[n]?.focus();
    },
    Enter: (e) => {
      // A focused link opens itself; otherwise open the highlighted row.
      if ((e.target as HTMLElement).tagName === 'A' || (e.target as HTMLElement).tagName === 'BUTTON') return false;
      if (!items[active]) return false;
      open(items[active]);
    },
  });

  const setListParams = (f: Filters, s: string, l: number) => setParams(listSearch(f, s, l));
  const [exportOpen, setExportOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(false);

  return (
    <div className="leads-page">
      <h1 className="visually-hidden">{t('nav.leads')}</h1>
      <FilterPanel filters={filters} onApply={(f) => setListParams(f, sort, limit)} />
      <section className="leads-main" aria-label={t('leads.results')}>
        <div className="toolbar">
          <Select label={t('leads.sort')} value={sort} onChange={(e) => setListParams(filters, e.target.value, limit)} options={SORTS.map((s) => ({ value: s, label: t(`sort.${s}`) }))} />
          <Select
            label={t('leads.pageSize')}
            value={String(limit)}
            onChange={(e) => setListParams(filters, sort, Number(e.target.value))}
            options={PAGE_SIZES.map((n) => ({ value: String(n), label: String(n) }))}
          />
          <SavedFilters filters={filters} sort={sort} onApply={(f, s) => setListParams(f, s, limit)} />
          <div className="toolbar-end">
            <Button onClick={() => setExportOpen(true)}>{t('leads.export')}</Button>
            {isAdmin && <Button onClick={() => setImportOpen(true)}>{t('leads.import')}</Button>}
          </div>
        </div>
        {(selected.size > 0 || allMatching) && (
          <BulkBar
            ids={[...selected]}
            filter={allMatching ? filters : null}
            isAdmin={isAdmin}
            onDone={() => {
              setSelected(new Set());
              setAllMatching(false);
            }}
          />
        )}
        {pageSelected && !allMatching && list.data?.next_cursor && (
          <p className="select-all">
            {t('leads.pageSelected', { count: items.length })}{' '}
            <Button variant="ghost" onClick={() => setAllMatching(true)}>
              {matchingN ? t('leads.selectAllMatchingN', { n: matchingN }) : t('leads.selectAllMatching')}
            </Button>
          </p>
        )}
        {allMatching && (
          <p className="select-all" role="status">
            {matchingN ? t('leads.allMatchingSelectedN', { n: matchingN }) : t('leads.allMatchingSelected')}{' '}
            <Button variant="ghost" onClick={() => setAllMatching(false)}>
              {t('leads.clearSelection')}
            </Button>
          </p>
        )}
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorBox error={list.error} />
        ) : items.length === 0 ? (
          <Empty>{t('leads.empty')}</Empty>
        ) : (
          <LeadsTable
            items={items}
            selected={selected}
            allMatching={allMatching}
            pageSelected={pageSelected}
            active={active}
            rowRefs={rowRefs}
            detailSearch={detailSearch}
            onToggle={(id) => {
              setAllMatching(false);
              setSelected((s) => {
                const n = new Set(s);
                if (n.has(id)) n.delete(id);
                else n.add(id);
                return n;
              });
            }}
            onTogglePage={() => {
              setAllMatching(false);
              setSelected(pageSelected ? new Set() : new Set(items.map((l) => l.id)));
            }}
          />
        )}
        <nav className="pager" aria-label={t('leads.pages')}>
          <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t('leads.prevPage')}
          </Button>
          <Button disabled={!list.data?.next_cursor} onClick={() => setCursors((c) => [...c, list.data!.next_cursor!])}>
            {t('leads.nextPage')}
          </Button>
          {list.isFetching && !list.isPending && <span className="muted">{t('common.loading')}</span>}
        </nav>
      </section>
      <ExportDialog open={exportOpen} onClose={() => setExportOpen(false)} filters={filters} sort={sort} />
      {isAdmin && <ImportDialog open={importOpen} onClose={() => setImportOpen(false)} />}
    </div>
  );
}

function LeadsTable(props: {
  items: Lead[];
  selected: Set<string>;
  allMatching: boolean;
  pageSelected: boolean;
  active: number;
  rowRefs: React.MutableRefObject<(HTMLAnchorElement | null)[]>;
  detailSearch: string;
  onToggle: (id: string) => void;
  onTogglePage: () => void;
}) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const userName = useUserName();
  const subLabel = useSubStateLabel();
  return (
    <div className="table-wrap">
      <table aria-label={t('leads.table')} className="table leads-table">
        <thead>
          <tr>
            <th scope="col">
              <input type="checkbox" aria-label={t('leads.selectPage')} checked={props.pageSelected || props.allMatching} onChange={props.onTogglePage} />
            </th>
            <th scope="col">{t('lead.name')}</th>
            <th scope="col">{t('lead.state')}</th>
            <th scope="col">{t('lead.rating')}</th>
            <th scope="col">{t('lead.owner')}</th>
            <th scope="col">{t('lead.sourceCampaign')}</th>
            <th scope="col">{t('lead.entryMethod')}</th>
            <th scope="col">{t('lead.created')}</th>
            <th scope="col">{t('identityList.occurrences')}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((l, i) => {
            const nav = l.navigation ?? ({} as Lead['navigation']);
            return (
              <tr key={l.id} className={i === props.active ? 'row-active' : ''} aria-selected={props.selected.has(l.id) || props.allMatching}>
                <td>
                  <input type="checkbox" aria-label={t('leads.selectLead', { name: l.name })} checked={props.selected.has(l.id) || props.allMatching} onChange={() => props.onToggle(l.id)} />
                </td>
                <td>
                  <Link
                    ref={(el) => {
                      props.rowRefs.current[i] = el;
                    }}
                    to={`/leads/${l.id}${props.detailSearch ? `?${props.detailSearch}` : ''}`}
                  >
                    {l.name || t('lead.noName')}
                  </Link>
                </td>
                <td>
                  <span className={`badge state-${l.state}`}>{t(`states.${l.state}`)}</span>
                  {l.sub_state && <span className="muted"> · {subLabel(l.state, l.sub_state)}</span>}
                </td>
                <td>
                  <Stars value={l.rating} label={t('lead.rating')} />
                </td>
                <td>{userName(l.owner_id) || <span className="muted">{t('lead.unassigned')}</span>}</td>
                <td>
                  {nav.utm_source || nav.first_touch?.utm_source || '—'}
                  {(nav.utm_campaign || nav.first_touch?.utm_campaign) && <span className="muted"> / {nav.utm_campaign || nav.first_touch?.utm_campaign}</span>}
                </td>
                <td>{t(`entryMethods.${l.entry_method}`, { defaultValue: l.entry_method })}</td>
                <td>
                  <time dateTime={l.created_at}>{fmt.dateTime(l.created_at)}</time>
                </td>
                <td>
                  <Occurrences lead={l} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function FilterPanel({ filters, onApply }: { filters: Filters; onApply: (f: Filters) => void }) {
  const { t } = useTranslation();
  const users = useUsers();
  const groups = useQuery({ queryKey: ['groups'], queryFn: ({ signal }) => get<{ items: Group[] }>('/v1/groups', signal).then((r) => r.items) });
  const [draft, setDraft] = useState<Filters>(filters);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setDraft(filters), [filters]);
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const any = (label: string): Option => ({ value: '', label });
  const qc = useQueryClient();
  const apply = useMutation({
    // Validate with the API first so a bad filter is explained next to its field.
    mutationFn: async (f: Filters) => {
      await qc.fetchQuery({ queryKey: ['leads', listSearch(f).toString(), undefined, 'probe'], queryFn: () => get<Page<Lead>>(`/v1/leads${query({ ...f, limit: 20 })}`) });
      return f;
    },
    onSuccess: (f) => {
      setError(null);
      onApply(f);
    },
    onError: (e) => setError(e instanceof ApiError ? e : null),
  });
  const [open, setOpen] = useState(false);
  const entryMethods = [any(t('filters.any')), ...ENTRY_METHODS.map((m) => ({ value: m, label: t(`entryMethods.${m}`) }))];
  const fe = (k: string) => error?.fieldError(k);
  return (
    <aside className={`filters ${open ? 'filters-open' : ''}`} aria-label={t('filters.title')}>
      <Button className="filters-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {t('filters.title')}
      </Button>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply.mutate(draft);
        }}
      >
        <div className="field">
          <label htmlFor="filter-q">{t('filters.search')}</label>
          <input id="filter-q" type="search" value={draft.q ?? ''} onChange={set('q')} aria-invalid={!!fe('q') || undefined} />
        </div>
        <Select label={t('lead.state')} value={draft.state ?? ''} onChange={set('state')} options={[any(t('filters.any')), ...STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))]} error={fe('state')} />
        <TextField label={t('lead.subState')} value={draft.sub_state ?? ''} onChange={set('sub_state')} error={fe('sub_state')} />
        <Select
          label={t('lead.owner')}
          value={draft.owner ?? ''}
          onChange={set('owner')}
          options={[any(t('filters.any')), { value: 'unassigned', label: t('lead.unassigned') }, ...(users.data ?? []).map((u) => ({ value: u.id, label: u.name }))]}
          error={fe('owner')}
        />
        <Select
          label={t('lead.entryMethod')}
          value={draft.entry_method ?? ''}
          onChange={set('entry_method')}
          options={entryMethods}
          error={fe('entry_method')}
        />
        <Select
          label={t('filters.channel')}
          value={draft.channel ?? ''}
          onChange={set('channel')}
          options={entryMethods}
          error={fe('channel')}
        />
        <TextField label={t('lead.site')} value={draft.site ?? ''} onChange={set('site')} error={fe('site')} />
        <TextField label={t('touch.utm_source')} value={draft.source ?? ''} onChange={set('source')} error={fe('source')} />
        <TextField label={t('touch.utm_medium')} value={draft.medium ?? ''} onChange={set('medium')} error={fe('medium')} />
        <TextField label={t('touch.utm_campaign')} value={draft.campaign ?? ''} onChange={set('campaign')} error={fe('campaign')} />
        <Select
          label={t('filters.ratingMin')}
          value={draft.rating_min ?? ''}
          onChange={set('rating_min')}
          options={[any(t('filters.any')), ...[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: t('stars.label', { count: n }) }))]}
          error={fe('rating_min')}
        />
        <Select
          label={t('lead.classification')}
          value={draft.classification ?? ''}
          onChange={set('classification')}
          options={[any(t('filters.any')), ...CLASSIFICATIONS.map((c) => ({ value: c, label: t(`classifications.${c}`) }))]}
          error={fe('classification')}
        />
        <Select
          label={t('lead.group')}
          value={draft.group ?? ''}
          onChange={set('group')}
          options={[any(t('filters.any')), ...(groups.data ?? []).map((g) => ({ value: g.id, label: g.name }))]}
          error={fe('group')}
        />
        <TextField label={t('lead.tag')} value={draft.tag ?? ''} onChange={set('tag')} error={fe('tag')} />
        <TextField label={t('contact.cpf')} value={draft.cpf ?? ''} onChange={set('cpf')} error={fe('cpf')} />
        <Select
          label={t('identityList.sentiment')}
          value={draft.sentiment ?? ''}
          onChange={set('sentiment')}
          options={[any(t('filters.any')), ...POLARITIES.map((p) => ({ value: p, label: t(`timeline.polarities.${p}`) }))]}
          error={fe('sentiment')}
        />
        <Select
          label={t('identityList.ticketStatus')}
          value={draft.ticket_status ?? ''}
          onChange={set('ticket_status')}
          options={[any(t('filters.any')), ...INTERACTION_STATUSES.map((s) => ({ value: s, label: t(`timeline.statuses.${s}`) }))]}
          error={fe('ticket_status')}
        />
        <TextField type="date" label={t('filters.createdFrom')} value={draft.created_from ?? ''} onChange={set('created_from')} error={fe('created_from')} />
        <TextField type="date" label={t('filters.createdTo')} value={draft.created_to ?? ''} onChange={set('created_to')} error={fe('created_to')} />
        <FormError error={error} />
        <div className="filters-actions">
          <Button type="submit" variant="primary" disabled={apply.isPending}>
            {t('filters.apply')}
          </Button>
          <Button
            onClick={() => {
              const empty = Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])) as Filters;
              setDraft(empty);
              setError(null);
              onApply({});
            }}
          >
            {t('filters.clear')}
          </Button>
        </div>
      </form>
    </aside>
  );
}
