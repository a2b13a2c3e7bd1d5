// The lead detail's Tasks tab: presets above the form (one click fills it),
// the form (add or edit), and the lead's records with a selection column,
// a done toggle, edit, and complete / delete selected.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, fieldErrorIn } from '../../api/client';
import { useMe, useTimezone, useUserName, useUsers } from '../../api/hooks';
import { dayAfter, useLeadTasks, useTaskMutations, useTaskPresets, useTaskTypes, useTypeLabel, type Preset, type Task, type TaskInput } from '../../api/tasks';
import { useFormat, zonedParts } from '../../format';
import { Button, ErrorBox, FormError, Select, Spinner, TextArea, TextField } from '../../ui';

interface Form {
  description: string;
  due_date: string;
  due_time: string;
  type: string;
  assignee_id: string;
}

const EMPTY: Form = { description: '', due_date: '', due_time: '', type: '', assignee_id: '' };

/** The form a preset fills on day `today` (the account's). */
export function presetForm(p: Preset, today: string, base: Form = EMPTY): Form {
  const dated = typeof p.due_in_days === 'number';
  return { ...base, description: p.description, type: p.type ?? '', due_date: dated ? dayAfter(today, p.due_in_days!) : '', due_time: dated ? (p.due_time ?? '') : '' };
}

export function TasksTab({ leadId }: { leadId: string }) {
  const { t } = useTranslation();
  const tz = useTimezone();
  const me = useMe();
  const users = useUsers();
  const types = useTaskTypes();
  const presets = useTaskPresets();
  const tasks = useLeadTasks(leadId);
  const { create, update, bulk } = useTaskMutations(leadId);
  const [form, setForm] = useState<Form>(EMPTY);
  const [editing, setEditing] = useState<Task | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const isAdmin = me.data?.role === 'admin';
  const today = zonedParts(new Date(), tz).date;
  const save = editing ? update : create;
  const fe = (f: string) => fieldErrorIn(save.error, f);
  const stale = update.error instanceof ApiError && update.error.status === 412;

  const set = (k: keyof Form, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const reset = () => {
    setForm(EMPTY);
    setEditing(null);
    create.reset();
    update.reset();
  };
  const submit = () => {
    const body: TaskInput = { description: form.description, due_date: form.due_date || null, due_time: form.due_date ? form.due_time || null : null, type: form.type || null };
    if (isAdmin && form.assignee_id) body.assignee_id = form.assignee_id;
    if (editing) update.mutate({ task: editing, body }, { onSuccess: reset });
    else create.mutate(body, { onSuccess: reset });
  };
  const startEdit = (x: Task) => {
    create.reset();
    update.reset();
    setEditing(x);
    setForm({ description: x.description, due_date: x.due_date ?? '', due_time: x.due_time ?? '', type: x.type ?? '', assignee_id: x.assignee_id });
  };
  const runBulk = (action: 'delete' | 'complete') =>
    bulk.mutate(
      { action, ids: [...selected] },
      {
        onSuccess: (r) => {
          setSelected(new Set(Object.keys(r.failed)));
          if (editing && r.done.includes(editing.id)) reset();
        },
      },
    );
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const items = tasks.data ?? [];
  const allSelected = items.length > 0 && items.every((x) => selected.has(x.id));
  const typeOptions = [{ value: '', label: t('tasks.noType') }, ...(types.data ?? []).map((x) => ({ value: x.id, label: x.label }))];
  if (form.type && !typeOptions.some((o) => o.value === form.type)) typeOptions.push({ value: form.type, label: form.type });

  return (
    <div className="tasks">
      {(presets.data ?? []).length > 0 && (
        <div className="task-presets" role="group" aria-label={t('tasks.presets')}>
          <span className="muted">{t('tasks.presets')}:</span>
          {presets.data!.map((p) => (
            <Button key={p.id} variant="ghost" className="preset" onClick={() => setForm((f) => presetForm(p, today, f))}>
              {p.label}
            </Button>
          ))}
        </div>
      )}
      <form
        className="task-form"
        aria-label={editing ? t('tasks.editForm') : t('tasks.newForm')}
        onSubmit={(e) => {
          e.preventDefault();
          if (form.description.trim()) submit();
        }}
      >
        <TextArea label={t('tasks.description')} value={form.description} onChange={(e) => set('description', e.target.value)} rows={3} maxLength={10000} error={fe('description')} />
        <div className="task-form-row">
          <TextField type="date" label={t('tasks.dueDate')} value={form.due_date} onChange={(e) => set('due_date', e.target.value)} error={fe('due_date')} />
          <TextField type="time" label={t('tasks.dueTime')} value={form.due_time} onChange={(e) => set('due_time', e.target.value)} disabled={!form.due_date} error={fe('due_time')} hint={form.due_date && !form.due_time ? t('tasks.allDayHint') : undefined} />
          <Select label={t('tasks.type')} value={form.type} onChange={(e) => set('type', e.target.value)} options={typeOptions} error={fe('type')} />
          {isAdmin && (
            <Select
              label={t('tasks.assignee')}
              value={form.assignee_id || me.data?.user_id || ''}
              onChange={(e) => set('assignee_id', e.target.value)}
              options={(users.data ?? []).filter((u) => u.active || u.id === form.assignee_id).map((u) => ({ value: u.id, label: u.name }))}
              error={fe('assignee_id')}
            />
          )}
        </div>
        <div className="task-form-actions">
          <Button type="submit" variant="primary" disabled={save.isPending || !form.description.trim() || stale}>
            {editing ? t('tasks.save') : t('tasks.add')}
          </Button>
          {(editing || form.description) && <Button onClick={reset}>{t('common.cancel')}</Button>}
        </div>
        {stale ? (
          <p className="conflict" role="alert">
            {t('tasks.stale')}{' '}
            <Button
              onClick={() => {
                void tasks.refetch().then((r) => {
                  const fresh = r.data?.find((x) => x.id === editing?.id);
                  if (fresh) startEdit(fresh);
                  else reset();
                });
              }}
            >
              {t('tasks.reload')}
            </Button>
          </p>
        ) : (
          <FormError error={save.error} />
        )}
      </form>

      <div className="task-bulk" role="group" aria-label={t('tasks.bulk')}>
        <span className="muted" aria-live="polite">
          {t('tasks.selected', { count: selected.size })}
        </span>
        <Button onClick={() => runBulk('complete')} disabled={selected.size === 0 || bulk.isPending}>
          {t('tasks.completeSelected')}
        </Button>
        <Button variant="danger" onClick={() => runBulk('delete')} disabled={selected.size === 0 || bulk.isPending}>
          {t('tasks.deleteSelected')}
        </Button>
      </div>
      {bulk.isError && <ErrorBox error={bulk.error} />}
      {bulk.data && Object.keys(bulk.data.failed).length > 0 && (
        <p className="error-box" role="alert">
          {t('tasks.bulkFailed', { count: Object.keys(bulk.data.failed).length })}
        </p>
      )}
      {update.isError && !editing && <ErrorBox error={update.error} />}
      {tasks.isPending ? (
        <Spinner />
      ) : tasks.isError ? (
        <ErrorBox error={tasks.error} />
      ) : items.length === 0 ? (
        <p className="empty">{t('tasks.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table task-table" aria-label={t('tasks.table')}>
            <thead>
              <tr>
                <th scope="col">
                  <input type="checkbox" aria-label={t('tasks.selectAll')} checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((x) => x.id)))} />
                </th>
                <th scope="col">{t('tasks.done')}</th>
                <th scope="col">{t('tasks.description')}</th>
                <th scope="col">{t('tasks.due')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('tasks.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <TaskRow
                  key={x.id}
                  task={x}
                  selected={selected.has(x.id)}
                  onSelect={() => toggle(x.id)}
                  pendingDone={update.isPending && update.variables?.task.id === x.id ? update.variables.body.done : undefined}
                  onDone={(done) => update.mutate({ task: x, body: { done } })}
                  onEdit={() => startEdit(x)}
                  busy={update.isPending}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function TaskRow({
  task: x,
  selected,
  pendingDone,
  onSelect,
  onDone,
  onEdit,
  busy,
}: {
  task: Task;
  selected: boolean;
  pendingDone?: boolean;
  onSelect: () => void;
  onDone: (done: boolean) => void;
  onEdit: () => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const userName = useUserName();
  const typeLabel = useTypeLabel();
  const short = x.description.length > 40 ? `${x.description.slice(0, 40)}…` : x.description;
  return (
    <tr className={`task ${x.done ? 'task-done' : ''} ${x.overdue ? 'task-overdue' : ''}`}>
      <td>
        <input type="checkbox" aria-label={t('tasks.select', { name: short })} checked={selected} onChange={onSelect} />
      </td>
      <td>
        <input type="checkbox" aria-label={t('tasks.doneToggle', { name: short })} checked={pendingDone ?? x.done} disabled={busy} onChange={(e) => onDone(e.target.checked)} />
      </td>
      <td>
        <p className="task-text">{x.description}</p>
        <small className="muted">
          {[typeLabel(x.type), userName(x.assignee_id)].filter(Boolean).join(' · ')}
        </small>
      </td>
      <td>
        <DueLabel task={x} />
      </td>
      <td>
        <Button variant="ghost" onClick={onEdit} aria-label={t('tasks.edit', { name: short })}>
          {t('tasks.editShort')}
        </Button>
      </td>
    </tr>
  );
}

/** When a record is due, in the account's timezone ("all day" when it has no time), flagged when overdue. */
export function DueLabel({ task: x }: { task: Pick<Task, 'due_at' | 'all_day' | 'overdue' | 'done'> }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  if (!x.due_at) return <span className="muted">{t('tasks.noDue')}</span>;
  return (
    <span>
      <time dateTime={x.due_at}>{x.all_day ? `${fmt.date(x.due_at)} · ${t('tasks.allDay')}` : fmt.dateTime(x.due_at)}</time>
      {x.overdue && !x.done && <span className="badge badge-overdue"> {t('tasks.overdue')}</span>}
    </span>
  );
}
