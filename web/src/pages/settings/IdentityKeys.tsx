// Settings → Identity keys (admins): the built-in kinds, read-only, and the
// account's own kinds — name, label, validation pattern, unique — added,
// edited and removed, saved together (PUT /v1/identity-keys, If-Match).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, fieldErrorIn } from '../../api/client';
import { isBuiltin, useKeyKinds, useSaveKeyKinds, type KeyKind } from '../../api/identity';
import { Button, ErrorBox, FormError, Spinner, TextField, SaveButton } from '../../ui';

interface Draft extends KeyKind {
  /** stored already: its name is its identity and stays as it is */
  saved: boolean;
}

export function IdentityKeysSettings() {
  const { t } = useTranslation();
  const kinds = useKeyKinds();
  const save = useSaveKeyKinds(kinds.data?.etag ?? null);
  const [draft, setDraft] = useState<Draft[] | null>(null);
  useEffect(() => {
    if (kinds.data && !draft) setDraft(kinds.data.items.filter((k) => !isBuiltin(k)).map((k) => ({ ...k, saved: true })));
  }, [kinds.data, draft]);
  if (kinds.isPending) return <Spinner />;
  if (kinds.isError) return <ErrorBox error={kinds.error} />;
  if (!draft) return null;
  const builtins = kinds.data.items.filter(isBuiltin);
  const update = (i: number, k: Partial<Draft>) => setDraft(draft.map((x, j) => (j === i ? { ...x, ...k } : x)));
  const fe = (i: number, f: string) => fieldErrorIn(save.error, `kinds[${i}].${f}`);
  const stale = save.error instanceof ApiError && save.error.status === 412;
  return (
    <div className="identity-keys">
      <table className="table" aria-label={t('keySettings.builtins')}>
        <caption className="visually-hidden">{t('keySettings.builtins')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('keySettings.name')}</th>
            <th scope="col">{t('keySettings.label')}</th>
            <th scope="col">{t('keySettings.unique')}</th>
          </tr>
        </thead>
        <tbody>
          {builtins.map((k) => (
            <tr key={k.name}>
              <th scope="row">
                <code>{k.name}</code>
              </th>
              <td>{t(`keyKinds.${k.name}`, { defaultValue: k.label ?? k.name })}</td>
              <td>{k.unique ? t('keySettings.yes') : t('keySettings.no')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(draft, { onSuccess: () => setDraft(draft.map((x) => ({ ...x, saved: true }))) });
        }}
      >
        <h3>{t('keySettings.custom')}</h3>
        {draft.length === 0 && <p className="empty">{t('keySettings.none')}</p>}
        <ol className="rule-list" aria-label={t('keySettings.custom')}>
          {draft.map((k, i) => (
            <li key={i} className="card" aria-label={k.label || k.name || t('keySettings.newKind')}>
              <TextField label={t('keySettings.name')} value={k.name} readOnly={k.saved} onChange={(e) => update(i, { name: e.target.value })} error={fe(i, 'name')} hint={t('keySettings.nameHint')} required />
              <TextField label={t('keySettings.label')} value={k.label ?? ''} onChange={(e) => update(i, { label: e.target.value })} error={fe(i, 'label')} required />
              <TextField label={t('keySettings.pattern')} value={k.pattern ?? ''} onChange={(e) => update(i, { pattern: e.target.value })} error={fe(i, 'pattern')} hint={t('keySettings.patternHint')} />
              <label className="check">
                <input type="checkbox" checked={k.unique} disabled={k.saved} aria-describedby={k.saved ? `unique-hint-${i}` : undefined} onChange={(e) => update(i, { unique: e.target.checked })} /> {t('keySettings.unique')}
              </label>
              {k.saved && (
                <small id={`unique-hint-${i}`} className="hint">
                  {t('keySettings.uniqueFixed')}
                </small>
              )}
              {fe(i, 'unique') && <small className="field-error">{fe(i, 'unique')}</small>}
              <Button variant="danger" onClick={() => setDraft(draft.filter((_, j) => j !== i))} aria-label={t('keySettings.remove', { name: k.label || k.name })}>
                {t('identity.remove')}
              </Button>
            </li>
          ))}
        </ol>
        <Button onClick={() => setDraft([...draft, { name: '', label: '', pattern: '', unique: false, saved: false }])}>{t('keySettings.add')}</Button>
        {stale ? (
          <p className="conflict" role="alert">
            {t('settings.stale')}{' '}
            <Button
              onClick={() => {
                save.reset();
                setDraft(null);
                void kinds.refetch();
              }}
            >
              {t('lead.reload')}
            </Button>
          </p>
        ) : (
          <FormError error={save.error} />
        )}
        <SaveButton save={save} />
      </form>
    </div>
  );
}
