import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, request, fieldErrorIn } from '../api/client';
import { useMe, useUsers } from '../api/hooks';
import { ENTRY_METHODS, STATES, type Account, type AssignmentRule, type AssignmentRules, type Site, type State } from '../api/types';
import { Button, Empty, ErrorBox, Select, Spinner, Tabs, TextField, FormError, SaveButton } from '../ui';
import { IdentityKeysSettings } from './settings/IdentityKeys';
import { TaskPresetsSettings } from './settings/TaskPresets';

export default function SettingsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [tab, setTab] = useState('account');
  if (me.data && me.data.role !== 'admin') return <ErrorBox error={t('settings.adminsOnly')} />;
  return (
    <section className="settings">
      <h1>{t('settings.title')}</h1>
      <Tabs
        label={t('settings.title')}
        selected={tab}
        onSelect={setTab}
        tabs={[
          { id: 'account', label: t('settings.account'), content: <AccountSettings /> },
          { id: 'sites', label: t('settings.sites'), content: <SitesSettings /> },
          { id: 'users', label: t('settings.users'), content: <UsersSettings /> },
          { id: 'rules', label: t('settings.rules'), content: <RulesSettings /> },
          { id: 'identity-keys', label: t('keySettings.tab'), content: <IdentityKeysSettings /> },
          { id: 'task-presets', label: t('presetSettings.tab'), content: <TaskPresetsSettings /> },
        ]}
      />
    </section>
  );
}

/** Routes that land with the Go side of the console may be absent on an older server. */
function Missing({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 404) return <Empty>{t('settings.unavailable')}</Empty>;
  return <ErrorBox error={error} />;
}

function AccountSettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const account = useQuery({
    queryKey: ['account-edit'],
    queryFn: async ({ signal }) => {
      const a = await request<Account>('/v1/account', { signal });
      return { account: a.data, etag: a.etag };
    },
  });
  const [draft, setDraft] = useState<Account | null>(null);
  useEffect(() => {
    if (account.data && !draft) setDraft(account.data.account);
  }, [account.data, draft]);
  const save = useMutation({
    mutationFn: () =>
      request<Account>('/v1/account', {
        method: 'PATCH',
        ifMatch: account.data?.etag,
        body: { name: draft!.name, timezone: draft!.timezone, country: draft!.country, sub_states: draft!.sub_states },
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['account-edit'] });
      void qc.invalidateQueries({ queryKey: ['account'] });
    },
  });
  if (account.isPending) return <Spinner />;
  if (account.isError) return <Missing error={account.error} />;
  if (!draft) return null;
  const fe = (f: string) => fieldErrorIn(save.error, f);
  const stale = save.error instanceof ApiError && save.error.status === 412;
  const setSubs = (s: State, text: string) =>
    setDraft({
      ...draft,
      sub_states: {
        ...draft.sub_states,
        [s]: text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .map((label) => ({ id: draft.sub_states[s]?.find((x) => x.label === label)?.id ?? slug(label), label })),
      },
    });
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <TextField label={t('settings.accountName')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} error={fe('name')} />
      <TextField label={t('settings.timezone')} value={draft.timezone} onChange={(e) => setDraft({ ...draft, timezone: e.target.value })} error={fe('timezone')} />
      <TextField label={t('settings.country')} value={draft.country} maxLength={2} onChange={(e) => setDraft({ ...draft, country: e.target.value.toUpperCase() })} error={fe('country')} />
      <fieldset>
        <legend>{t('settings.subStates')}</legend>
        {STATES.map((s) => (
          <div className="field" key={s}>
            <label htmlFor={`subs-${s}`}>{t(`states.${s}`)}</label>
            <textarea id={`subs-${s}`} rows={3} value={(draft.sub_states[s] ?? []).map((x) => x.label).join('\n')} onChange={(e) => setSubs(s, e.target.value)} aria-describedby="subs-hint" />
          </div>
        ))}
        <small id="subs-hint" className="hint">
          {t('settings.subStatesHint')}
        </small>
        {fe('sub_states') && <small className="field-error">{fe('sub_states')}</small>}
      </fieldset>
      {stale && (
        <p className="conflict" role="alert">
          {t('settings.stale')}{' '}
          <Button
            onClick={() => {
              save.reset();
              void account.refetch();
            }}
          >
            {t('lead.reload')}
          </Button>
        </p>
      )}
      {!stale && <FormError error={save.error} />}
      <SaveButton save={save} />
    </form>
  );
}

function slug(s: string): string {
  return (
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'x'
  );
}

function snippet(siteKey: string): string {
  const origin = location.origin;
  return `<form action="${origin}/v1/capture/forms/${siteKey}" method="post">
  <input name="name" placeholder="Nome" required>
  <input name="email" type="email" placeholder="E-mail">
  <input name="phone" type="tel" placeholder="Telefone">
  <input name="_hp" style="display:none" tabindex="-1" autocomplete="off">
  <button>Enviar</button>
</form>`;
}

function SitesSettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const sites = useQuery({ queryKey: ['sites'], queryFn: ({ signal }) => get<{ items: Site[] }>('/v1/sites', signal).then((r) => r.items) });
  const [keys, setKeys] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [rate, setRate] = useState('30');
  const create = useMutation({
    mutationFn: () =>
      request<Site>('/v1/sites', {
        method: 'POST',
        body: { name, allowed_origins: origins.split(/[\s,]+/).filter(Boolean), rate_limit_per_minute: Number(rate) },
      }).then((a) => a.data),
    onSuccess: (s) => {
      if (s.key) setKeys((k) => ({ ...k, [s.id]: s.key! }));
      setName('');
      setOrigins('');
      void qc.invalidateQueries({ queryKey: ['sites'] });
    },
  });
  const rotate = useMutation({
    mutationFn: (id: string) => request<Site>(`/v1/sites/${id}/rotate-key`, { method: 'POST' }).then((a) => a.data),
    onSuccess: (s) => s.key && setKeys((k) => ({ ...k, [s.id]: s.key! })),
  });
  const fe = (f: string) => fieldErrorIn(create.error, f);
  if (sites.isPending) return <Spinner />;
  if (sites.isError) return <Missing error={sites.error} />;
  return (
    <div className="sites">
      <ul className="site-list">
        {sites.data.map((s) => {
          const key = keys[s.id] ?? s.key;
          return (
            <li key={s.id} className="card">
              <h3>{s.name}</h3>
              <p className="muted">
                {t('settings.origins')}: {s.allowed_origins.join(', ') || '—'} · {t('settings.rate', { count: s.rate_limit_per_minute })}
              </p>
              {key ? (
                <>
                  <p>
                    {t('settings.siteKey')}: <code>{key}</code>
                  </p>
                  <label className="field">
                    <span>{t('settings.snippet')}</span>
                    <textarea readOnly rows={7} value={snippet(key)} />
                  </label>
                  <p className="muted">
                    {t('settings.webhooks')}: <code>{`${location.origin}/v1/capture/meta/${key}`}</code>, <code>{`${location.origin}/v1/capture/google-ads/${key}`}</code>
                  </p>
                </>
              ) : (
                <p className="muted">
                  {s.key_hint && (
                    <>
                      {t('settings.siteKey')}: <code>…{s.key_hint.replace(/^…/, '')}</code>.{' '}
                    </>
                  )}
                  {t('settings.keyHidden')}
                </p>
              )}
              <Button onClick={() => rotate.mutate(s.id)} disabled={rotate.isPending}>
                {t('settings.rotate')}
              </Button>
            </li>
          );
        })}
      </ul>
      {rotate.isError && <ErrorBox error={rotate.error} />}
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h3>{t('settings.newSite')}</h3>
        <TextField label={t('settings.siteName')} value={name} onChange={(e) => setName(e.target.value)} error={fe('name')} required />
        <TextField label={t('settings.origins')} value={origins} onChange={(e) => setOrigins(e.target.value)} error={fe('allowed_origins')} hint={t('settings.originsHint')} />
        <TextField label={t('settings.rateLabel')} type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} error={fe('rate_limit_per_minute')} />
        <FormError error={create.error} />
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {t('settings.createSite')}
        </Button>
      </form>
    </div>
  );
}

function UsersSettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const users = useUsers();
  const change = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { active?: boolean; away?: boolean } }) => request(`/v1/users/${id}`, { method: 'PATCH', body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
  });
  if (users.isPending) return <Spinner />;
  if (users.isError) return <ErrorBox error={users.error} />;
  return (
    <>
      <table className="table" aria-label={t('settings.users')}>
        <thead>
          <tr>
            <th scope="col">{t('settings.userName')}</th>
            <th scope="col">{t('settings.role')}</th>
            <th scope="col">{t('settings.openLeads')}</th>
            <th scope="col">{t('settings.active')}</th>
            <th scope="col">{t('settings.away')}</th>
          </tr>
        </thead>
        <tbody>
          {users.data.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                {u.name}
                {u.email && <div className="muted">{u.email}</div>}
              </th>
              <td>{t(`roles.${u.role}`)}</td>
              <td>{u.open_leads}</td>
              <td>
                <input type="checkbox" aria-label={t('settings.activeFor', { name: u.name })} checked={u.active} onChange={(e) => change.mutate({ id: u.id, body: { active: e.target.checked } })} />
              </td>
              <td>
                <input type="checkbox" aria-label={t('settings.awayFor', { name: u.name })} checked={u.away} onChange={(e) => change.mutate({ id: u.id, body: { away: e.target.checked } })} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {change.isError && <ErrorBox error={change.error} />}
    </>
  );
}

function RulesSettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const users = useUsers();
  const me = useMe();
  const rules = useQuery({
    queryKey: ['rules'],
    queryFn: async ({ signal }) => {
      const a = await request<AssignmentRules>('/v1/assignment/rules', { signal });
      return { rules: a.data.rules, etag: a.etag };
    },
  });
  const [draft, setDraft] = useState<AssignmentRule[] | null>(null);
  useEffect(() => {
    if (rules.data && !draft) setDraft(rules.data.rules);
  }, [rules.data, draft]);
  const save = useMutation({
    mutationFn: () => request<AssignmentRules>('/v1/assignment/rules', { method: 'PUT', ifMatch: rules.data?.etag, body: { rules: draft } }),
    onSuccess: () => {
      setDraft(null);
      void qc.invalidateQueries({ queryKey: ['rules'] });
    },
  });
  if (rules.isPending || !draft) return rules.isError ? <Missing error={rules.error} /> : <Spinner />;
  const agents = (users.data ?? []).filter((u) => u.role === 'agent' || u.id === me.data?.user_id);
  const update = (i: number, r: AssignmentRule) => setDraft(draft.map((x, j) => (j === i ? r : x)));
  const move = (i: number, d: number) => {
    const n = [...draft];
    [n[i], n[i + d]] = [n[i + d], n[i]];
    setDraft(n);
  };
  const fe = (f: string) => fieldErrorIn(save.error, f);
  return (
    <form
      className="rules"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <ol className="rule-list">
        {draft.map((r, i) => (
          <li key={i} className="card">
            <TextField label={t('rules.name')} value={r.name ?? ''} onChange={(e) => update(i, { ...r, name: e.target.value })} error={fe(`rules[${i}].name`)} />
            <Select
              label={t('rules.entryMethod')}
              value={r.match?.entry_method ?? ''}
              onChange={(e) => update(i, { ...r, match: { ...r.match, entry_method: e.target.value || undefined } })}
              options={[{ value: '', label: t('filters.any') }, ...ENTRY_METHODS.map((m) => ({ value: m, label: t(`entryMethods.${m}`) }))]}
            />
            <TextField label={t('touch.utm_source')} value={r.match?.source ?? ''} onChange={(e) => update(i, { ...r, match: { ...r.match, source: e.target.value || undefined } })} />
            <TextField label={t('touch.utm_campaign')} value={r.match?.campaign ?? ''} onChange={(e) => update(i, { ...r, match: { ...r.match, campaign: e.target.value || undefined } })} />
            <Select
              label={t('rules.strategy')}
              value={r.strategy}
              onChange={(e) => update(i, { ...r, strategy: e.target.value as AssignmentRule['strategy'] })}
              options={['round_robin', 'least_loaded'].map((s) => ({ value: s, label: t(`rules.strategies.${s}`) }))}
            />
            <fieldset>
              <legend>{t('rules.agents')}</legend>
              {agents.map((u) => (
                <label key={u.id} className="check">
                  <input
                    type="checkbox"
                    checked={r.agents?.includes(u.id) ?? false}
                    onChange={(e) => update(i, { ...r, agents: e.target.checked ? [...(r.agents ?? []), u.id] : (r.agents ?? []).filter((a) => a !== u.id) })}
                  />{' '}
                  {u.name}
                </label>
              ))}
            </fieldset>
            <div className="rule-actions">
              <Button disabled={i === 0} onClick={() => move(i, -1)} aria-label={t('rules.up', { n: i + 1 })}>
                ↑
              </Button>
              <Button disabled={i === draft.length - 1} onClick={() => move(i, 1)} aria-label={t('rules.down', { n: i + 1 })}>
                ↓
              </Button>
              <Button variant="danger" onClick={() => setDraft(draft.filter((_, j) => j !== i))}>
                {t('rules.remove')}
              </Button>
            </div>
          </li>
        ))}
      </ol>
      <Button onClick={() => setDraft([...draft, { name: '', strategy: 'round_robin', match: {}, agents: [] }])}>{t('rules.add')}</Button>
      {save.isError && <ErrorBox error={save.error} />}
      <SaveButton save={save} />
    </form>
  );
}
