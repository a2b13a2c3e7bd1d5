import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, request, fieldErrorIn } from '../../api/client';
import { useMe } from '../../api/hooks';
import type { SavedFilter } from '../../api/types';
import { readFilters, type Filters } from '../../filters';
import { Button, Dialog, ErrorBox, Select, TextField } from '../../ui';

/** Saved filters: save the current one (optionally shared with the account), apply, rename, share, delete. */
export function SavedFilters({ filters, sort, onApply }: { filters: Filters; sort: string; onApply: (f: Filters, sort: string) => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const me = useMe();
  const list = useQuery({ queryKey: ['saved-filters'], queryFn: ({ signal }) => get<{ items: SavedFilter[] }>('/v1/saved-filters', signal).then((r) => r.items) });
  const [chosen, setChosen] = useState('');
  const [dialog, setDialog] = useState<null | { mode: 'save' } | { mode: 'rename'; filter: SavedFilter }>(null);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['saved-filters'] });
  const save = useMutation({
    mutationFn: async () => {
      if (dialog?.mode === 'rename') {
        return (await request<SavedFilter>(`/v1/saved-filters/${dialog.filter.id}`, { method: 'PATCH', body: { name, shared } })).data;
      }
      return (await request<SavedFilter>('/v1/saved-filters', { method: 'POST', body: { name, shared, filter: filters, sort } })).data;
    },
    onSuccess: (f) => {
      setDialog(null);
      setChosen(f.id);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => request(`/v1/saved-filters/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setChosen('');
      void refresh();
    },
  });
  const current = list.data?.find((f) => f.id === chosen);
  const mine = current && current.owner_id === me.data?.user_id;
  const nameError = fieldErrorIn(save.error, 'name');
  return (
    <div className="saved-filters">
      <Select
        label={t('saved.title')}
        value={chosen}
        onChange={(e) => {
          setChosen(e.target.value);
          const f = list.data?.find((x) => x.id === e.target.value);
          if (f) onApply(readFilters(new URLSearchParams(f.filter)), f.sort ?? 'newest');
        }}
        options={[{ value: '', label: t('saved.none') }, ...(list.data ?? []).map((f) => ({ value: f.id, label: f.shared ? `${f.name} (${t('saved.sharedMark')})` : f.name }))]}
      />
      <Button
        onClick={() => {
          setName('');
          setShared(false);
          save.reset();
          setDialog({ mode: 'save' });
        }}
      >
        {t('saved.save')}
      </Button>
      {current && mine && (
        <>
          <Button
            onClick={() => {
              setName(current.name);
              setShared(current.shared);
              save.reset();
              setDialog({ mode: 'rename', filter: current });
            }}
          >
            {t('saved.rename')}
          </Button>
          <Button variant="danger" onClick={() => remove.mutate(current.id)}>
            {t('saved.delete')}
          </Button>
        </>
      )}
      {remove.isError && <ErrorBox error={remove.error} />}
      <Dialog open={!!dialog} title={dialog?.mode === 'rename' ? t('saved.rename') : t('saved.save')} onClose={() => setDialog(null)}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <TextField label={t('saved.name')} value={name} onChange={(e) => setName(e.target.value)} error={nameError} required />
          <label className="check">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t('saved.share')}
          </label>
          {save.isError && !nameError && <ErrorBox error={save.error} />}
          <Button type="submit" variant="primary" disabled={save.isPending}>
            {t('common.save')}
          </Button>
        </form>
      </Dialog>
    </div>
  );
}
