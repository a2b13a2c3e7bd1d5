import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { download, request, fieldErrorIn } from '../../api/client';
import { useImport } from '../../api/jobs';
import type { ImportRecord } from '../../api/types';
import { Button, Dialog, ErrorBox, Progress, Select } from '../../ui';

const POLICIES = ['skip', 'update_empty', 'overwrite'] as const;
// The fields internal/importer maps a column to ('' lets the server recognize the header).
const TARGETS = ['', 'ignore', 'name', 'email', 'phone', 'whatsapp', 'cpf', 'external_id', 'tags', 'groups', 'classification', 'state', 'sub_state', 'rating', 'page_url', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

/** The header line of a CSV file (`,`, `;` or tab delimited). */
export function csvHeaders(firstLine: string): string[] {
  const line = firstLine.replace(/^\uFEFF/, '').replace(/\r?\n.*$/s, '');
  const delim = [';', '\t', ','].find((d) => line.includes(d)) ?? ',';
  return line
    .split(delim)
    .map((h) => h.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/** Upload a CSV, see and adjust the column mapping and the dedupe policy, run it, watch it, download the report. */
export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [headers, setHeaders] = useState<string[]>([]);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [policy, setPolicy] = useState<string>('skip');
  const [importId, setImportId] = useState<string | null>(null);
  const imp = useImport(importId);
  const start = useMutation({
    mutationFn: async () => {
      const form = new FormData();
      form.set('file', file!);
      form.set('policy', policy);
      const chosen = Object.fromEntries(Object.entries(mapping).filter(([, v]) => v));
      if (Object.keys(chosen).length) form.set('mapping', JSON.stringify(chosen));
      return (await request<ImportRecord>('/v1/imports', { method: 'POST', body: form })).data;
    },
    onSuccess: (r) => setImportId(r.id),
  });
  const close = () => {
    setFile(null);
    setHeaders([]);
    setMapping({});
    setImportId(null);
    start.reset();
    if (importId) void qc.invalidateQueries({ queryKey: ['leads'] });
    onClose();
  };
  const r = imp.data;
  const done = r?.status === 'done' || r?.status === 'failed';
  const fileError = fieldErrorIn(start.error, 'file');
  return (
    <Dialog open={open} title={t('import.title')} onClose={close}>
      <div className="field">
        <label htmlFor="import-file">{t('import.file')}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,text/csv"
          disabled={!!importId}
          aria-invalid={!!fileError || undefined}
          onChange={async (e) => {
            const f = e.target.files?.[0] ?? null;
            setFile(f);
            setMapping({});
            setHeaders(f ? csvHeaders(await f.slice(0, 64 * 1024).text()) : []);
          }}
        />
        {fileError && (
          <small className="field-error" role="alert">
            {fileError}
          </small>
        )}
      </div>
      {headers.length > 0 && !importId && (
        <table className="table mapping" aria-label={t('import.mapping')}>
          <thead>
            <tr>
              <th scope="col">{t('import.column')}</th>
              <th scope="col">{t('import.field')}</th>
            </tr>
          </thead>
          <tbody>
            {headers.map((h) => (
              <tr key={h}>
                <td>{h}</td>
                <td>
                  <select aria-label={t('import.fieldFor', { column: h })} value={mapping[h] ?? ''} onChange={(e) => setMapping((m) => ({ ...m, [h]: e.target.value }))}>
                    {TARGETS.map((f) => (
                      <option key={f} value={f}>
                        {f === '' ? t('import.auto') : f === 'ignore' ? t('import.ignore') : f}
                      </option>
                    ))}
                    <option value={`attributes.${h}`}>{t('import.asAttribute')}</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Select label={t('import.policy')} value={policy} onChange={(e) => setPolicy(e.target.value)} disabled={!!importId} options={POLICIES.map((p) => ({ value: p, label: t(`import.policies.${p}`) }))} />
      <Button variant="primary" disabled={!file || start.isPending || !!importId} onClick={() => start.mutate()}>
        {t('import.start')}
      </Button>
      {start.isError && !fileError && <ErrorBox error={start.error} />}
      {r && (
        <div className="job" role="status">
          <Progress value={r.processed} max={r.rows} label={t('import.progress')} />
          <span>{t(`jobStatus.${r.status}`)}</span>
          {Object.keys(r.columns ?? {}).length > 0 && (
            <p className="muted">
              {t('import.mapped')}: {Object.entries(r.columns).map(([h, f]) => `${h} → ${f}`).join(', ')}
            </p>
          )}
          {done && (
            <>
              <ul className="counts">
                {Object.entries(r.counts ?? {}).map(([k, v]) => (
                  <li key={k}>
                    {t(`import.counts.${k}`, { defaultValue: k })}: {v}
                  </li>
                ))}
              </ul>
              {r.errors?.length > 0 && <ErrorBox error={r.errors.map((e) => `${e.id}: ${e.reason}`).join('; ')} />}
              <Button onClick={() => void download(`/v1/imports/${r.id}/report.csv`, `import-${r.id}-report.csv`)}>{t('import.report')}</Button>
            </>
          )}
        </div>
      )}
    </Dialog>
  );
}
