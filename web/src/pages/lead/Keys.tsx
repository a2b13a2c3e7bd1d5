// The lead's identity keys in *Contact data*: grouped by kind, each
// removable; a kind and a value add one. Problems name the field and show
// next to it; a unique key another lead holds links to that lead.
import { useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, fieldErrorIn } from '../../api/client';
import { ownerOf, useKeyKinds, useLeadKeys, type KeyKind, BUILTIN_KINDS } from '../../api/identity';
import type { Lead } from '../../api/types';
import { Button, Select, TextField, FormError } from '../../ui';

/** The label of a key kind: the account's, else the built-in's translation, else its name. */
export function useKindLabel(): (name: string) => string {
  const { t } = useTranslation();
  const kinds = useKeyKinds();
  return (name) => {
    const k = kinds.data?.items.find((x) => x.name === name);
    if ((BUILTIN_KINDS as readonly string[]).includes(name)) return t(`keyKinds.${name}`);
    return k?.label || name;
  };
}

/** The kinds to offer: the account's, or the built-ins while they load (or on an older server). */
export function useKindOptions(): KeyKind[] {
  const kinds = useKeyKinds();
  return kinds.data?.items.length ? kinds.data.items : BUILTIN_KINDS.map((name) => ({ name, unique: true, built_in: true }));
}

/** The problem about one kind's values (`keys.cpf`, `keys.cpf[0]`, `add.cpf[0]`…), if any. */
export function keyFieldError(error: unknown, kind: string): string | undefined {
  if (!(error instanceof ApiError) || !kind) return undefined;
  const re = new RegExp(`^(keys\\.)?((add|remove)\\.)?${kind.replace(/[^a-z0-9_]/gi, '')}(\\[|\\.|$)`);
  return error.problem.errors?.find((e) => re.test(e.field))?.detail;
}

export function LeadKeys({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const kinds = useKindOptions();
  const label = useKindLabel();
  const change = useLeadKeys(lead.id);
  const [kind, setKind] = useState('');
  const [value, setValue] = useState('');
  const keys = Object.entries(lead.keys ?? {}).filter(([, vs]) => vs.length > 0);
  const owner = ownerOf(change.error);
  const chosen = kind || kinds[0]?.name || '';
  return (
    <section className="lead-keys" aria-labelledby="lead-keys-title">
      <h3 id="lead-keys-title">{t('identity.keysTitle')}</h3>
      {keys.length === 0 && <p className="empty">{t('identity.noKeys')}</p>}
      {keys.map(([k, values]) => (
        <div key={k} className="key-group" role="group" aria-label={label(k)}>
          <h4>{label(k)}</h4>
          <ul>
            {values.map((v) => (
              <li key={v}>
                <code>{v}</code>{' '}
                <Button variant="ghost" aria-label={t('identity.removeKey', { kind: label(k), value: v })} disabled={change.isPending} onClick={() => change.mutate({ remove: { [k]: [v] } })}>
                  {t('identity.remove')}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      ))}
      <form
        className="key-add"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          change.mutate({ add: { [chosen]: [value.trim()] } }, { onSuccess: () => setValue('') });
        }}
      >
        <Select label={t('identity.kind')} value={chosen} onChange={(e) => setKind(e.target.value)} options={kinds.map((k) => ({ value: k.name, label: label(k.name) }))} error={fieldErrorIn(change.error, 'add')} />
        <TextField label={t('identity.value')} value={value} onChange={(e) => setValue(e.target.value)} error={keyFieldError(change.error, chosen)} />
        <Button type="submit" disabled={change.isPending || !value.trim()}>
          {t('identity.addKey')}
        </Button>
      </form>
      {owner ? (
        <p className="error-box" role="alert">
          {t('identity.taken')} <Link to={`/leads/${owner}`}>{t('identity.openOwner')}</Link>
        </p>
      ) : (
        <FormError error={change.error} />
      )}
    </section>
  );
}
