import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { request, fieldErrorIn } from '../../api/client';
import { useAccount } from '../../api/hooks';
import { STATES, type LeadDetail, type ScheduledChange } from '../../api/types';
import { useFormat, zonedParts, zonedToInstant } from '../../format';
import { Button, Dialog, Select, TextField, FormError } from '../../ui';

/** Schedule a state change at a date and time in the account's timezone. */
export function ScheduleDialog({ open, onClose, lead }: { open: boolean; onClose: () => void; lead: LeadDetail; etag: string | null }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const account = useAccount();
  const fmt = useFormat();
  const tomorrow = zonedParts(new Date(Date.now() + 24 * 3600_000), fmt.timeZone);
  const [state, setState] = useState<string>(lead.state === 'new' ? 'in_progress' : lead.state);
  const [subState, setSubState] = useState('');
  const [date, setDate] = useState(tomorrow.date);
  const [time, setTime] = useState('09:00');
  const save = useMutation({
    mutationFn: () =>
      request<ScheduledChange>(`/v1/leads/${lead.id}/scheduled-changes`, {
        method: 'POST',
        body: { state, sub_state: subState || null, at: zonedToInstant(date, time, fmt.timeZone).toISOString() },
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['lead', lead.id] });
      void qc.invalidateQueries({ queryKey: ['history', lead.id] });
      onClose();
    },
  });
  const fe = (f: string) => fieldErrorIn(save.error, f);
  const subs = account.data?.sub_states?.[state as keyof typeof account.data.sub_states] ?? [];
  return (
    <Dialog open={open} title={t('schedule.title')} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Select label={t('schedule.state')} value={state} onChange={(e) => setState(e.target.value)} options={STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))} error={fe('state')} />
        {subs.length > 0 && (
          <Select label={t('schedule.subState')} value={subState} onChange={(e) => setSubState(e.target.value)} options={[{ value: '', label: '—' }, ...subs.map((s) => ({ value: s.id, label: s.label }))]} error={fe('sub_state')} />
        )}
        <TextField type="date" label={t('schedule.date')} value={date} onChange={(e) => setDate(e.target.value)} required error={fe('at')} hint={t('schedule.timezone', { tz: fmt.timeZone })} />
        <TextField type="time" label={t('schedule.time')} value={time} onChange={(e) => setTime(e.target.value)} required />
        <FormError error={save.error} />
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {t('schedule.save')}
        </Button>
      </form>
    </Dialog>
  );
}
