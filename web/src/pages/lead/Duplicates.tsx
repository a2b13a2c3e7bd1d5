// Duplicates of a lead (GET /v1/leads/{id}/duplicates) with their reasons;
// a side-by-side preview from the merge's dry run (which value wins and
// why, what moves); the merge itself, and Undo while it can be undone.
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get } from '../../api/client';
import { useMe, useUserName } from '../../api/hooks';
import { useDuplicates, useMerge, useMergePreview, useUndoableMerges, useUndoMerge, type Duplicate, type FieldChoice } from '../../api/identity';
import type { Lead } from '../../api/types';
import { useFormat } from '../../format';
import { Button, Dialog, Empty, ErrorBox, Spinner } from '../../ui';
import { useKindLabel } from './Keys';

/** The fields the preview puts side by side, and how each reads. */
const FIELDS = ['name', 'rating', 'state', 'sub_state', 'owner_id', 'contact.email', 'contact.phone', 'contact.whatsapp', 'contact.cpf', 'keys', 'tags', 'classification', 'entry_method', 'created_at'] as const;

/** Where a merge field sits in the lead's JSON when not at its own name. */
const PATHS: Record<string, string> = { first_touch: 'navigation.first_touch', last_touch: 'navigation.last_touch' };

function pick(lead: Lead | undefined, field: string): unknown {
  if (!lead) return undefined;
  return (PATHS[field] ?? field).split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), lead);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function useShowValue() {
  const { t } = useTranslation();
  const userName = useUserName();
  const fmt = useFormat();
  const kindLabel = useKindLabel();
  return (field: string, v: unknown): ReactNode => {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return <span className="muted">—</span>;
    if (field === 'state') return t(`states.${v as string}`, { defaultValue: String(v) });
    if (field === 'owner_id') return userName(String(v));
    if (field === 'rating') return t('stars.label', { count: Number(v) });
    if (field === 'created_at') return fmt.dateTime(String(v));
    if (field === 'entry_method') return t(`entryMethods.${v as string}`, { defaultValue: String(v) });
    if (field === 'keys' && typeof v === 'object') {
      return (
        <ul className="plain">
          {Object.entries(v as Record<string, string[]>)
            .filter(([, vs]) => vs?.length)
            .map(([k, vs]) => (
              <li key={k}>
                {kindLabel(k)}: {vs.join(', ')}
              </li>
            ))}
        </ul>
      );
    }
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // A touch: when, how and from where.
      if (typeof o.at === 'string') return [fmt.dateTime(o.at), o.entry_method && t(`entryMethods.${o.entry_method as string}`, { defaultValue: String(o.entry_method) }), o.utm_source, o.utm_campaign].filter(Boolean).join(' · ');
      return JSON.stringify(v);
    }
    return String(v);
  };
}

export function DuplicatesTab({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const me = useMe();
  const [force, setForce] = useState(false);
  const dups = useDuplicates(lead.id, force);
  const [previewing, setPreviewing] = useState<Duplicate | null>(null);
  const [done, setDone] = useState<{ mergeId: string; names: string } | null>(null);
  const undo = useUndoMerge(lead.id);
  const merges = useUndoableMerges(lead.id);
  const fmt = useFormat();
  // Undoable merges: the one just made here, and those the lead's history names.
  const undone = (id: string) => undo.isSuccess && undo.variables === id;
  const undoable: { merge_id: string; label: string }[] = [];
  if (done && !undone(done.mergeId)) undoable.push({ merge_id: done.mergeId, label: t('duplicates.merged', { names: done.names }) });
  for (const m of merges.data ?? []) {
    if (m.merge_id === done?.mergeId || undone(m.merge_id)) continue;
    undoable.push({ merge_id: m.merge_id, label: t('duplicates.mergedAt', { at: fmt.dateTime(m.at), until: fmt.dateTime(m.undo_until) }) });
  }
  return (
    <div className="duplicates">
      {undoable.map((m) => (
        <div key={m.merge_id} className="merge-done" role="status">
          <span>{m.label}</span>{' '}
          <Button variant="danger" disabled={undo.isPending} onClick={() => undo.mutate(m.merge_id)}>
            {t('duplicates.undo')}
          </Button>
        </div>
      ))}
      {undo.isSuccess && (
        <p role="status" className="merge-done">
          {t('duplicates.undone')}
        </p>
      )}
      {undo.isError && <UndoError error={undo.error} />}
      {me.data?.role === 'admin' && (
        <label className="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> {t('duplicates.force')}
        </label>
      )}
      {dups.isPending ? (
        <Spinner />
      ) : dups.isError ? (
        <ErrorBox error={dups.error} />
      ) : dups.data.length === 0 ? (
        <Empty>{t('duplicates.empty')}</Empty>
      ) : (
        <ul className="dup-list" aria-label={t('duplicates.list')}>
          {dups.data.map((d) => (
            <li key={d.lead_id} className="card">
              <div className="dup-head">
                <Link to={`/leads/${d.lead_id}`}>{d.name || t('lead.noName')}</Link>
                <span className="badge">{t('duplicates.score', { score: fmt.number(d.score, { maximumFractionDigits: 2 }) })}</span>
              </div>
              <ul className="reasons">
                {d.reasons.map((r, i) => (
                  <li key={i}>
                    {t(`duplicates.signals.${r.signal.replace(/\W/g, '_')}`, { defaultValue: r.signal })}
                    {r.value !== undefined && r.value !== null && r.value !== '' && <span className="muted">: {String(r.value)}</span>}
                    {r.match === 'recorded' && <span className="muted"> · {t('duplicates.recorded')}</span>}
                    {r.strength !== undefined && <span className="muted"> · {t('duplicates.strength', { n: r.strength })}</span>}
                  </li>
                ))}
              </ul>
              {d.conflicts?.map((c) => (
                <p key={c.kind} className="field-error">
                  {t('duplicates.conflict', { kind: t(`keyKinds.${c.kind}`, { defaultValue: c.kind }), values: c.values.join(' ≠ ') })}
                </p>
              ))}
              <Button onClick={() => setPreviewing(d)} aria-label={t('duplicates.previewWith', { name: d.name })}>
                {t('duplicates.preview')}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {previewing && (
        <MergeDialog
          lead={lead}
          other={previewing}
          onClose={() => setPreviewing(null)}
          onMerged={(mergeId) => {
            setDone({ mergeId, names: previewing.name });
            undo.reset();
            setPreviewing(null);
          }}
        />
      )}
    </div>
  );
}

function UndoError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 409) {
    const changes = (error.problem as { changes?: { lead_id?: string; item?: string; change?: string; detail?: string }[] }).changes ?? [];
    return (
      <div className="error-box" role="alert">
        <p>
          {t('duplicates.undoConflict')} {error.problem.detail}
        </p>
        {changes.length > 0 && (
          <ul>
            {changes.map((c, i) => (
              <li key={i}>{c.detail ?? [c.item, c.change].filter(Boolean).join(': ')}</li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return <ErrorBox error={error} />;
}

/** The side-by-side preview of merging `other` into `lead`, and the Merge button. */
function MergeDialog({ lead, other, onClose, onMerged }: { lead: Lead; other: Duplicate; onClose: () => void; onMerged: (mergeId: string) => void }) {
  const { t } = useTranslation();
  const show = useShowValue();
  const preview = useMergePreview(lead.id, [other.lead_id], true);
  const absorbed = useQuery({ queryKey: ['lead', other.lead_id, 'preview'], queryFn: ({ signal }) => get<Lead>(`/v1/leads/${encodeURIComponent(other.lead_id)}`, signal) });
  const merge = useMerge(lead.id);
  const why = (field: string): FieldChoice | undefined => preview.data?.fields?.find((f) => f.field === field);
  const reason = (field: string, merged: unknown, mine: unknown, theirs: unknown): string => {
    const given = why(field)?.why;
    if (given) return t(`duplicates.why.${given}`, { defaultValue: given });
    if (same(mine, theirs)) return t('duplicates.why.same');
    if (same(merged, mine)) return t('duplicates.why.kept');
    if (same(merged, theirs)) return t('duplicates.why.taken');
    return t('duplicates.why.combined');
  };
  const fieldLabel = (f: string) =>
    f.startsWith('contact.attributes.') ? f.slice('contact.attributes.'.length) : t(`duplicates.fields.${f.replace(/\./g, '_')}`, { defaultValue: f });
  const winner = (merged: unknown, v: unknown, mine: unknown, theirs: unknown) => !same(mine, theirs) && same(merged, v);
  // Every field the dry run explains, then the usual ones it left out.
  const rows = [...(preview.data?.fields ?? []).map((f) => f.field), ...FIELDS].filter((f, i, all) => all.indexOf(f) === i && f !== 'interactions');
  const moves = Object.entries(preview.data?.moves ?? {}).filter(([, v]) => typeof v === 'number' && v > 0) as [string, number][];
  const attribution = preview.data?.moves?.attribution as { stop_counting?: string[]; counted_on?: string } | undefined;
  return (
    <Dialog
      open
      wide
      title={t('duplicates.previewTitle', { name: other.name })}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button variant="primary" disabled={!preview.isSuccess || merge.isPending} onClick={() => merge.mutate([other.lead_id], { onSuccess: (r) => onMerged(r.merge_id) })}>
            {t('duplicates.merge')}
          </Button>
        </>
      }
    >
      {preview.isPending || absorbed.isPending ? (
        <Spinner />
      ) : preview.isError ? (
        <ErrorBox error={preview.error} />
      ) : (
        <>
          <p>{t('duplicates.previewIntro', { survivor: lead.name, absorbed: other.name })}</p>
          {/* Scrolls sideways on a narrow screen: focusable so the keyboard can scroll it. */}
          <div className="table-wrap" tabIndex={0} role="region" aria-label={t('duplicates.previewTable')}>
            <table className="table merge-table" aria-label={t('duplicates.previewTable')}>
              <thead>
                <tr>
                  <th scope="col">{t('duplicates.field')}</th>
                  <th scope="col">{t('duplicates.thisLead', { name: lead.name })}</th>
                  <th scope="col">{t('duplicates.otherLead', { name: other.name })}</th>
                  <th scope="col">{t('duplicates.result')}</th>
                  <th scope="col">{t('duplicates.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((f) => {
                  const mine = pick(lead, f);
                  const theirs = pick(absorbed.data, f);
                  const merged = why(f)?.value !== undefined ? why(f)!.value : pick(preview.data.result, f);
                  return (
                    <tr key={f}>
                      <th scope="row">{fieldLabel(f)}</th>
                      <td className={winner(merged, mine, mine, theirs) ? 'wins' : ''}>
                        {show(f, mine)}
                        {winner(merged, mine, mine, theirs) && <span className="wins-mark"> ✓ {t('duplicates.wins')}</span>}
                      </td>
                      <td className={winner(merged, theirs, mine, theirs) ? 'wins' : ''}>
                        {show(f, theirs)}
                        {winner(merged, theirs, mine, theirs) && <span className="wins-mark"> ✓ {t('duplicates.wins')}</span>}
                      </td>
                      <td>{show(f, merged)}</td>
                      <td className="muted">{reason(f, merged, mine, theirs)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <h3>{t('duplicates.moves')}</h3>
          {moves.length === 0 && !attribution?.stop_counting?.length ? (
            <p className="muted">{t('duplicates.nothingMoves')}</p>
          ) : (
            <ul className="moves" aria-label={t('duplicates.moves')}>
              {moves.map(([k, n]) => (
                <li key={k}>
                  {t(`duplicates.moveKinds.${k}`, { defaultValue: k })}: <strong>{n}</strong>
                </li>
              ))}
              {!!attribution?.stop_counting?.length && <li>{t('duplicates.attribution', { count: attribution.stop_counting.length, day: attribution.counted_on ?? '' })}</li>}
            </ul>
          )}
          {merge.isError && <ErrorBox error={merge.error} />}
        </>
      )}
    </Dialog>
  );
}
