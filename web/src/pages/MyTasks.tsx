// My tasks: the signed-in user's records (admins pick a user), overdue
// first, then today, then later, each with its lead linked; filters by
// type, due-date range and status live in the query string.
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useMe, useTimezone, useUsers } from '../api/hooks';
import { bucketOf, TASK_STATUSES, useLeadNames, useMyTasks, useTaskMutations, useTaskTypes, useTypeLabel, type Bucket, type Task, type TaskStatus } from '../api/tasks';
import { zonedParts } from '../format';
import { Empty, ErrorBox, Select, Spinner, TextField } from '../ui';
import { DueLabel } from './lead/Tasks';

const BUCKETS: Bucket[] = ['overdue', 'today', 'later', 'undated', 'done'];

export default function MyTasksPage() {
  const { t } = useTranslation();
  const me = useMe();
  const users = useUsers();
  const types = useTaskTypes();
  const tz = useTimezone();
  const [params, setParams] = useSearchParams();
  const status = (TASK_STATUSES as string[]).includes(params.get('status') ?? '') ? (params.get('status') as TaskStatus) : 'pending';
  const filter = { status, type: params.get('type') ?? '', from: params.get('from') ?? '', to: params.get('to') ?? '', assignee: params.get('assignee') ?? '' };
  const tasks = useMyTasks(filter);
  const isAdmin = me.data?.role === 'admin';
  const today = zonedParts(new Date(), tz).date;
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    setParams(p, { replace: true });
  };
  const items = tasks.data?.items ?? [];
  const leadName = useLeadNames([...new Set(items.map((x) => x.lead_id))]);
  const groups = BUCKETS.map((b) => [b, items.filter((x) => bucketOf(x, today) === b)] as const).filter(([, xs]) => xs.length > 0);
  return (
    <section className="my-tasks">
      <h1>{t('myTasks.title')}</h1>
      <form className="report-filters" aria-label={t('myTasks.filters')} onSubmit={(e) => e.preventDefault()}>
        <Select label={t('myTasks.status')} value={status} onChange={(e) => set('status', e.target.value)} options={TASK_STATUSES.map((s) => ({ value: s, label: t(`myTasks.statuses.${s}`) }))} />
        <Select label={t('myTasks.type')} value={filter.type} onChange={(e) => set('type', e.target.value)} options={[{ value: '', label: t('myTasks.anyType') }, ...(types.data ?? []).map((x) => ({ value: x.id, label: x.label }))]} />
        <TextField type="date" label={t('myTasks.from')} value={filter.from} onChange={(e) => set('from', e.target.value)} />
        <TextField type="date" label={t('myTasks.to')} value={filter.to} onChange={(e) => set('to', e.target.value)} />
        {isAdmin && (
          <Select
            label={t('myTasks.user')}
            value={filter.assignee || me.data?.user_id || ''}
            onChange={(e) => set('assignee', e.target.value === me.data?.user_id ? '' : e.target.value)}
            options={(users.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
          />
        )}
      </form>
      {tasks.isPending ? (
        <Spinner />
      ) : tasks.isError ? (
        <ErrorBox error={tasks.error} />
      ) : items.length === 0 ? (
        <Empty>{t('myTasks.empty')}</Empty>
      ) : (
        groups.map(([bucket, xs]) => <Group key={bucket} bucket={bucket} items={xs} leadName={leadName} />)
      )}
    </section>
  );
}

function Group({ bucket, items, leadName }: { bucket: Bucket; items: Task[]; leadName: (id: string) => string | undefined }) {
  const { t } = useTranslation();
  const typeLabel = useTypeLabel();
  const { update } = useTaskMutations();
  const headingId = `tasks-${bucket}`;
  return (
    <section className={`task-group task-group-${bucket}`} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {t(`myTasks.buckets.${bucket}`)} <span className="badge">{items.length}</span>
      </h2>
      <div className="table-wrap">
        <table className="table" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">{t('tasks.done')}</th>
              <th scope="col">{t('tasks.description')}</th>
              <th scope="col">{t('tasks.due')}</th>
              <th scope="col">{t('tasks.type')}</th>
              <th scope="col">{t('myTasks.lead')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => {
              const short = x.description.length > 40 ? `${x.description.slice(0, 40)}…` : x.description;
              return (
                <tr key={x.id} className={x.overdue ? 'task-overdue' : ''}>
                  <td>
                    <input type="checkbox" aria-label={t('tasks.doneToggle', { name: short })} checked={update.isPending && update.variables?.task.id === x.id ? !!update.variables.body.done : x.done} disabled={update.isPending} onChange={(e) => update.mutate({ task: x, body: { done: e.target.checked } })} />
                  </td>
                  <td className="task-text">{x.description}</td>
                  <td>
                    <DueLabel task={x} />
                  </td>
                  <td>{typeLabel(x.type)}</td>
                  <td>
                    <Link to={`/leads/${x.lead_id}`}>{leadName(x.lead_id) || t('myTasks.openLead')}</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {update.isError && <ErrorBox error={update.error} />}
    </section>
  );
}
