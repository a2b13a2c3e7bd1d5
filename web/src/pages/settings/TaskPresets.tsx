// Settings → Task presets (admins): the quick-entry presets the lead's Tasks
// tab shows above its form — label, description text, type, due in N days,
// time — added, edited and removed, saved together (PUT /v1/task-presets).
import { useEffect, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { fieldErrorIn, request } from '../../api/client';
import { useTaskPresets, useTaskTypes, type Preset } from '../../api/tasks';
import { Button, ErrorBox, FormError, Select, Spinner, TextArea, TextField, SaveButton } from '../../ui';

/** A preset as the form edits it: due in N days as typed ("" for none). */
export interface Draft extends Omit<Preset, 'due_in_days'> {
  days: string;
}

const toDraft = (p: Preset): Draft => ({ ...p, days: p.due_in_days === undefined ? '' : String(p.due_in_days) });

/** The preset a draft saves: empty type, days and time are left out. */
export function fromDraft({ days, ...d }: Draft): Preset {
  const p: Preset = { id: d.id, label: d.label, description: d.description };
  if (d.type) p.type = d.type;
  if (days.trim() !== '') p.due_in_days = Number(days);
  if (d.due_time) p.due_time = d.due_time;
  return p;
}

export function TaskPresetsSettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const presets = useTaskPresets();
  const types = useTaskTypes();
  const [draft, setDraft] = useState<Draft[] | null>(null);
  useEffect(() => {
    if (presets.data && !draft) setDraft(presets.data.map(toDraft));
  }, [presets.data, draft]);
  const save = useMutation({
    mutationFn: (ds: Draft[]) => request<{ presets: Preset[] }>('/v1/task-presets', { method: 'PUT', body: { presets: ds.map(fromDraft) } }).then((r) => r.data.presets),
    onSuccess: (saved) => {
      setDraft(saved.map(toDraft));
      qc.setQueryData(['task-presets'], saved);
    },
  });
  if (presets.isPending) return <Spinner />;
  if (presets.isError) return <ErrorBox error={presets.error} />;
  if (!draft) return null;
  const update = (i: number, p: Partial<Draft>) => setDraft(draft.map((x, j) => (j === i ? { ...x, ...p } : x)));
  const fe = (i: number, f: string) => fieldErrorIn(save.error, `presets[${i}].${f}`);
  const typeOptions = [{ value: '', label: t('tasks.noType') }, ...(types.data ?? []).map((x) => ({ value: x.id, label: x.label }))];
  return (
    <form
      className="settings-form task-presets-settings"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(draft);
      }}
    >
      <p className="muted">{t('presetSettings.intro')}</p>
      {draft.length === 0 && <p className="empty">{t('presetSettings.none')}</p>}
      <ol className="rule-list" aria-label={t('presetSettings.tab')}>
        {draft.map((p, i) => (
          <li key={p.id || `new-${i}`} className="card" aria-label={p.label || t('presetSettings.newPreset')}>
            <TextField label={t('presetSettings.label')} value={p.label} maxLength={100} onChange={(e) => update(i, { label: e.target.value })} error={fe(i, 'label')} required />
            <TextArea label={t('presetSettings.description')} rows={3} value={p.description} onChange={(e) => update(i, { description: e.target.value })} error={fe(i, 'description')} />
            <Select label={t('presetSettings.type')} value={p.type ?? ''} onChange={(e) => update(i, { type: e.target.value || undefined })} options={typeOptions} error={fe(i, 'type')} />
            <TextField label={t('presetSettings.dueInDays')} type="number" min={0} max={365} value={p.days} onChange={(e) => update(i, { days: e.target.value })} error={fe(i, 'due_in_days')} hint={t('presetSettings.dueInDaysHint')} />
            <TextField label={t('presetSettings.dueTime')} type="time" value={p.due_time ?? ''} onChange={(e) => update(i, { due_time: e.target.value || undefined })} error={fe(i, 'due_time')} hint={t('presetSettings.dueTimeHint')} />
            <Button variant="danger" onClick={() => setDraft(draft.filter((_, j) => j !== i))} aria-label={t('presetSettings.remove', { name: p.label || t('presetSettings.newPreset') })}>
              {t('presetSettings.removeShort')}
            </Button>
          </li>
        ))}
      </ol>
      <Button onClick={() => setDraft([...draft, { id: '', label: '', description: '', days: '' }])}>{t('presetSettings.add')}</Button>
      <FormError error={save.error} />
      <SaveButton save={save} />
    </form>
  );
}
