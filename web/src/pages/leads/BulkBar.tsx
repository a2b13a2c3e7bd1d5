import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, request, fieldErrorIn } from '../../api/client';
import { useUsers } from '../../api/hooks';
import { useJob } from '../../api/jobs';
import { CLASSIFICATIONS, STATES, type Group, type Job } from '../../api/types';
import type { Filters } from '../../filters';
import { Button, Progress, Select, TextField, type Option, FormError } from '../../ui';

const ACTIONS = ['add_tag', 'remove_tag', 'add_group', 'remove_group', 'classify', 'change_state', 'assign', 'delete', 'restore'] as const;
const ADMIN_ONLY = new Set(['assign', 'delete', 'restore']);

/** The bar over the table when rows are selected: one action on the ids or on everything matching the filter. */
export function BulkBar({ ids, filter, isAdmin, onDone }: { ids: string[]; filter: Filters | null; isAdmin: boolean; onDone: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const users = useUsers();
  const groups = useQuery({ queryKey: ['groups'], queryFn: ({ signal }) => get<{ items: Group[] }>('/v1/groups', signal).then((r) => r.items) });
  const [action, setAction] = useState<string>('add_tag');
  const [value, setValue] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const run = useMutation({
    mutationFn: async () => {
      const body: Record<string, unknown> = { action, ...(filter ? { filter } : { ids }) };
      if (action === 'add_tag' || action === 'remove_tag') body.tag = value;
      if (action === 'add_group' || action === 'remove_group') body.group_id = value;
      if (action === 'classify') body.classification = value;
      if (action === 'change_state') body.state = value;
      if (action === 'assign') body.owner_id = value;
      return (await request<Job>('/v1/leads/bulk', { method: 'POST', body })).data;
    },
    onSuccess: (j) => setJobId(j.id),
  });
  const status = job.data?.status;
  const finished = status === 'done' || status === 'failed';
  useEffect(() => {
    if (finished) void qc.invalidateQueries({ queryKey: ['leads'] });
  }, [finished, qc]);
  const actions = ACTIONS.filter((a) => isAdmin || !ADMIN_ONLY.has(a));
  let valueField = null;
  const valueOptions = (opts: Option[]) => (
    <Select label={t('bulk.value')} value={value} onChange={(e) => setValue(e.target.value)} options={[{ value: '', label: t('common.choose') }, ...opts]} error={run.error instanceof ApiError ? run.error.problem.errors?.[0]?.detail : undefined} />
  );
  if (action === 'add_tag' || action === 'remove_tag') valueField = <TextField label={t('lead.tag')} value={value} onChange={(e) => setValue(e.target.value)} error={fieldErrorIn(run.error, 'tag')} />;
  else if (action === 'add_group' || action === 'remove_group') valueField = valueOptions((groups.data ?? []).map((g) => ({ value: g.id, label: g.name })));
  else if (action === 'classify') valueField = valueOptions(CLASSIFICATIONS.map((c) => ({ value: c, label: t(`classifications.${c}`) })));
  else if (action === 'change_state') valueField = valueOptions(STATES.map((s) => ({ value: s, label: t(`states.${s}`) })));
  else if (action === 'assign') valueField = valueOptions((users.data ?? []).filter((u) => u.active).map((u) => ({ value: u.id, label: u.name })));
  return (
    <section className="bulk-bar" aria-label={t('bulk.title')}>
      <strong>{filter ? t('leads.allMatchingSelected') : t('bulk.selected', { count: ids.length })}</strong>
      <Select
        label={t('bulk.action')}
        value={action}
        onChange={(e) => {
          setAction(e.target.value);
          setValue('');
        }}
        options={actions.map((a) => ({ value: a, label: t(`bulk.actions.${a}`) }))}
      />
      {valueField}
      <Button variant="primary" disabled={run.isPending || (!!jobId && !finished)} onClick={() => run.mutate()}>
        {t('bulk.run')}
      </Button>
      <FormError error={run.error} />
      {job.data && (
        <div className="job" role="status">
          <Progress value={job.data.done_count + job.data.failed_count} max={job.data.total || job.data.expected || 0} label={t('bulk.progress')} />
          <span>{t(`jobStatus.${job.data.status}`)}</span>
          {finished && (
            <span>
              {t('bulk.result', { done: job.data.done_count, failed: job.data.failed_count })}{' '}
              <Button
                variant="ghost"
                onClick={() => {
                  setJobId(null);
                  onDone();
                }}
              >
                {t('common.close')}
              </Button>
            </span>
          )}
        </div>
      )}
    </section>
  );
}
