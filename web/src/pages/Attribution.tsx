import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import { download, get, query } from '../api/client';
import type { AttributionReport, AttributionRow } from '../api/types';
import { useFormat, zonedParts } from '../format';
import { Button, Empty, ErrorBox, Select, Spinner, TextField } from '../ui';
import { ChartCanvas } from '../ui/chart';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend, Filler);

const GROUPS = ['source', 'medium', 'campaign', 'site'] as const;

/** Leads and sales per day: the daily rows of all groups added up. */
export function perDay(rows: AttributionRow[], from: string, to: string): { day: string; leads: number; sales: number }[] {
  const days = new Map<string, { leads: number; sales: number }>();
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86400_000)) {
    days.set(d.toISOString().slice(0, 10), { leads: 0, sales: 0 });
  }
  for (const r of rows) {
    if (!r.day) continue;
    const v = days.get(r.day) ?? { leads: 0, sales: 0 };
    v.leads += r.leads;
    v.sales += r.sales;
    days.set(r.day, v);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, v]) => ({ day, ...v }));
}

export default function AttributionPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [params, setParams] = useSearchParams();
  const today = zonedParts(new Date(), 'UTC').date;
  const monthAgo = zonedParts(new Date(Date.now() - 29 * 86400_000), 'UTC').date;
  const from = params.get('from') ?? monthAgo;
  const to = params.get('to') ?? today;
  const groupBy = params.get('group_by') ?? 'source';
  const touch = params.get('touch') ?? 'first';
  const base = { from, to, group_by: groupBy, touch };
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    p.set(k, v);
    setParams(p, { replace: true });
  };
  const totals = useQuery({
    queryKey: ['attribution', base],
    queryFn: ({ signal }) => get<AttributionReport>(`/v1/reports/attribution${query(base)}`, signal),
  });
  const daily = useQuery({
    queryKey: ['attribution', base, 'day'],
    queryFn: ({ signal }) => get<AttributionReport>(`/v1/reports/attribution${query({ ...base, interval: 'day' })}`, signal),
  });
  const series = useMemo(() => (daily.data ? perDay(daily.data.rows, daily.data.from, daily.data.to) : []), [daily.data]);
  const label = (r: AttributionRow) => {
    const v = groupBy === 'site' ? r.site_id : r[groupBy as 'source' | 'medium' | 'campaign'];
    return v || t('attribution.none');
  };
  const pct = (n: number) => fmt.number(n, { style: 'percent', maximumFractionDigits: 1 });
  return (
    <section className="attribution">
      <h1>{t('attribution.title')}</h1>
      <form className="report-filters" onSubmit={(e) => e.preventDefault()}>
        <TextField type="date" label={t('attribution.from')} value={from} onChange={(e) => e.target.value && set('from', e.target.value)} />
        <TextField type="date" label={t('attribution.to')} value={to} onChange={(e) => e.target.value && set('to', e.target.value)} />
        <Select label={t('attribution.groupBy')} value={groupBy} onChange={(e) => set('group_by', e.target.value)} options={GROUPS.map((g) => ({ value: g, label: t(`attribution.groups.${g}`) }))} />
        <Select label={t('attribution.touch')} value={touch} onChange={(e) => set('touch', e.target.value)} options={['first', 'last'].map((v) => ({ value: v, label: t(`touch.${v}`) }))} />
        <Button onClick={() => void download(`/v1/reports/attribution${query({ ...base, format: 'csv' })}`, `attribution-${from}-${to}.csv`)}>{t('attribution.csv')}</Button>
      </form>
      <figure className="chart">
        {daily.isPending ? <Spinner /> : daily.isError ? <ErrorBox error={daily.error} /> : <DailyChart series={series} />}
        <figcaption>{t('attribution.chartCaption')}</figcaption>
      </figure>
      {totals.isPending ? (
        <Spinner />
      ) : totals.isError ? (
        <ErrorBox error={totals.error} />
      ) : totals.data.rows.length === 0 ? (
        <Empty>{t('attribution.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label={t('attribution.table')}>
            <thead>
              <tr>
                <th scope="col">{t(`attribution.groups.${groupBy}`)}</th>
                <th scope="col">{t('attribution.leads')}</th>
                <th scope="col">{t('states.new')}</th>
                <th scope="col">{t('states.in_progress')}</th>
                <th scope="col">{t('states.sale')}</th>
                <th scope="col">{t('states.no_sale')}</th>
                <th scope="col">{t('attribution.conversion')}</th>
              </tr>
            </thead>
            <tbody>
              {totals.data.rows.map((r, i) => (
                <tr key={i}>
                  <th scope="row">{label(r)}</th>
                  <td>{fmt.number(r.leads)}</td>
                  <td>{fmt.number(r.by_state.new)}</td>
                  <td>{fmt.number(r.by_state.in_progress)}</td>
                  <td>{fmt.number(r.by_state.sale)}</td>
                  <td>{fmt.number(r.by_state.no_sale)}</td>
                  <td>{pct(r.conversion_rate)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr className="totals">
                <th scope="row">{t('attribution.total')}</th>
                <td>{fmt.number(totals.data.totals.leads)}</td>
                <td>{fmt.number(totals.data.totals.by_state.new)}</td>
                <td>{fmt.number(totals.data.totals.by_state.in_progress)}</td>
                <td>{fmt.number(totals.data.totals.by_state.sale)}</td>
                <td>{fmt.number(totals.data.totals.by_state.no_sale)}</td>
                <td>{pct(totals.data.totals.conversion_rate)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}

function DailyChart({ series }: { series: { day: string; leads: number; sales: number }[] }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: 'line',
      data: {
        labels: series.map((s) => fmt.date(`${s.day}T12:00:00Z`)),
        datasets: [
          { label: t('attribution.leads'), data: series.map((s) => s.leads), borderColor: '#2563eb', backgroundColor: 'rgba(37,99,235,0.12)', fill: true, tension: 0.25 },
          { label: t('attribution.sales'), data: series.map((s) => s.sales), borderColor: '#16a34a', backgroundColor: 'rgba(22,163,74,0.12)', fill: true, tension: 0.25 },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    [series, t, fmt.locale], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const total = series.reduce((a, s) => a + s.leads, 0);
  return <ChartCanvas config={config} label={t('attribution.chartLabel', { leads: total, days: series.length })} data-total-leads={total} />;
}
