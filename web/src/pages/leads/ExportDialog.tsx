import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { query, request } from '../../api/client';
import { useJob } from '../../api/jobs';
import type { Job } from '../../api/types';
import type { Filters } from '../../filters';
import { Button, Dialog, ErrorBox, Progress } from '../../ui';

const FORMATS = ['csv', 'xlsx', 'xml'] as const;

/** Export as a job of any size: pick a format, watch progress, download the file the worker wrote. */
export function ExportDialog({ open, onClose, filters, sort }: { open: boolean; onClose: () => void; filters: Filters; sort: string }) {
  const { t } = useTranslation();
  const [format, setFormat] = useState<string>('csv');
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const start = useMutation({
    mutationFn: async () => (await request<Job>(`/v1/leads/export${query({ ...filters, sort, format, async: 'true' })}`)).data,
    onSuccess: (j) => setJobId(j.id),
  });
  const close = () => {
    setJobId(null);
    start.reset();
    onClose();
  };
  const j = job.data;
  return (
    <Dialog open={open} title={t('export.title')} onClose={close}>
      <fieldset className="radios">
        <legend>{t('export.format')}</legend>
        {FORMATS.map((f) => (
          <label key={f}>
            <input type="radio" name="export-format" value={f} checked={format === f} onChange={() => setFormat(f)} disabled={!!jobId} /> {t(`export.formats.${f}`)}
          </label>
        ))}
      </fieldset>
      <Button variant="primary" onClick={() => start.mutate()} disabled={start.isPending || (!!j && j.status !== 'done' && j.status !== 'failed') || !!jobId}>
        {t('export.start')}
      </Button>
      {start.isError && <ErrorBox error={start.error} />}
      {j && (
        <div role="status" className="job">
          <Progress value={j.done_count} max={j.expected || j.total || j.done_count} label={t('export.progress')} />
          <span>{t(`jobStatus.${j.status}`)}</span>
          {j.status === 'done' && j.result && (
            <a className="btn btn-primary" href={j.result} download>
              {t('export.download')}
            </a>
          )}
          {j.status === 'failed' && <ErrorBox error={j.errors.map((e) => e.reason).join('; ')} />}
        </div>
      )}
    </Dialog>
  );
}
