// Statistics (the seed's Estatísticas CRM): records created in a date range
// (the account's days), counted by type, by user and by status, the records
// themselves, and the same records as XLSX or CSV.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { download, query } from '../api/client';
import { useTimezone, useUserName } from '../api/hooks';
import { useLeadNames, useTaskStats, useTypeLabel } from '../api/tasks';
import { useFormat, zonedParts } from '../format';
import { Button, Empty, ErrorBox, Spinner, TextField } from '../ui';

export default function TaskStatsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const tz = useTimezone();
  const userName = useUserName();
  const typeLabel = useTypeLabel();
  const [params, setParams] = useSearchParams();
  const now = zonedParts(new Date(), tz);
  const today = now.date;
  const statusOf = (r: { done: boolean; due_date?: string; due_time?: string }) =>
    r.done ? 'done' : r.due_date && (r.due_date < today || (r.due_date === today && !!r.due_time && r.due_time <= now.time)) ? 'overdue' : 'pending';
  const from = params.get('from') ?? `${today.slice(0, 8)}01`;
  const to = params.get('to') ?? today;
  const stats = useTaskStats(from, to);
  const leadName = useLeadNames([...new Set((stats.data?.records ?? []).map((r) => r.lead_id))]);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    p.set(k, v);
    setParams(p, { replace: true });
  };
  const file = (format: 'xlsx' | 'csv') => {
    setDownloadError(null);
    download(`/v1/tasks/stats${query({ from, to, format })}`, `tasks-${from}-${to}.${format}`).catch(setDownloadError);
  };
  const counts = (name: string, label: string, rows: [string, number][]) => (
    <div className="table-wrap stats-table">
      <table className="table" aria-label={name}>
        <thead>
          <tr>
            <th scope="col">{label}</th>
            <th scope="col">{t('taskStats.count')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, n]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{fmt.number(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return (
    <section className="task-stats">
      <h1>{t('taskStats.title')}</h1>
      <form className="report-filters" aria-label={t('taskStats.range')} onSubmit={(e) => e.preventDefault()}>
        <TextField type="date" label={t('taskStats.from')} value={from} onChange={(e) => e.target.value && set('from', e.target.value)} />
        <TextField type="date" label={t('taskStats.to')} value={to} onChange={(e) => e.target.value && set('to', e.target.value)} />
        <Button onClick={() => file('xlsx')}>{t('taskStats.xlsx')}</Button>
        <Button onClick={() => file('csv')}>{t('taskStats.csv')}</Button>
      </form>
      {downloadError !== null && <ErrorBox error={downloadError} />}
      {stats.isPending ? (
        <Spinner />
      ) : stats.isError ? (
        <ErrorBox error={stats.error} />
      ) : (
        <>
          <p className="stats-total" role="status">
            {t('taskStats.total', { count: stats.data.total })}
          </p>
          <div className="stats-grid">
            {counts(t('taskStats.byType'), t('tasks.type'), Object.entries(stats.data.by_type).map(([k, n]) => [typeLabel(k) || t('tasks.noType'), n]))}
            {counts(t('taskStats.byUser'), t('taskStats.user'), Object.entries(stats.data.by_assignee).map(([k, n]) => [userName(k), n]))}
            {counts(t('taskStats.byStatus'), t('taskStats.status'), Object.entries(stats.data.by_status).map(([k, n]) => [t(`taskStats.statuses.${k}`, { defaultValue: k }), n]))}
          </div>
          <h2>{t('taskStats.records')}</h2>
          {stats.data.records.length === 0 ? (
            <Empty>{t('taskStats.empty')}</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" aria-label={t('taskStats.records')}>
                <thead>
                  <tr>
                    <th scope="col">{t('taskStats.created')}</th>
                    <th scope="col">{t('tasks.description')}</th>
                    <th scope="col">{t('tasks.type')}</th>
                    <th scope="col">{t('taskStats.user')}</th>
                    <th scope="col">{t('tasks.due')}</th>
                    <th scope="col">{t('taskStats.status')}</th>
                    <th scope="col">{t('myTasks.lead')}</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.data.records.map((r) => (
                    <tr key={r.id}>
                      <td>{fmt.dateTime(r.created_at)}</td>
                      <td className="task-text">{r.description}</td>
                      <td>{typeLabel(r.type)}</td>
                      <td>{userName(r.assignee_id)}</td>
                      <td>{[r.due_date, r.due_time].filter(Boolean).join(' ') || '—'}</td>
                      <td>{t(`taskStats.statuses.${statusOf(r)}`)}</td>
                      <td>
                        <Link to={`/leads/${r.lead_id}`}>{leadName(r.lead_id) || t('myTasks.openLead')}</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
