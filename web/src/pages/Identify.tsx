// The Identify dialog (the agent's *Localizar*), reachable from the top
// navigation everywhere and from an interaction that has no lead yet: key
// rows → Locate → the leads holding them, with the keys that matched and
// those that conflict → open one, relate the interaction to it, or create a
// lead with the keys (a 409 names the lead that already holds one).
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { fieldErrorIn } from '../api/client';
import { keysBody, ownerOf, useCreateLead, useLocate, useRelate, type Interaction } from '../api/identity';
import { Button, Dialog, Empty, ErrorBox, FormError, Select, TextField } from '../ui';
import { keyFieldError, useKindLabel, useKindOptions } from './lead/Keys';

interface Row {
  kind: string;
  value: string;
}

/** The key rows an interaction's profile suggests (its e-mail, phone, social ids). */
export function rowsFromProfile(it: Interaction | null | undefined): Row[] {
  const rows = Object.entries(it?.profile ?? {})
    .filter(([k, v]) => k !== 'name' && typeof v === 'string' && v.trim())
    .map(([kind, value]) => ({ kind, value: value as string }));
  return rows.length ? rows : [{ kind: '', value: '' }];
}

/** The button in the top navigation that opens the dialog. */
export function IdentifyButton() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="ghost" className="identify-open" onClick={() => setOpen(true)}>
        {t('identify.open')}
      </Button>
      {open && <IdentifyDialog onClose={() => setOpen(false)} />}
    </>
  );
}

export function IdentifyDialog({ onClose, interaction }: { onClose: () => void; interaction?: Interaction | null }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const kinds = useKindOptions();
  const label = useKindLabel();
  const [rows, setRows] = useState<Row[]>(() => rowsFromProfile(interaction));
  const [name, setName] = useState(interaction?.profile?.name ?? '');
  const locate = useLocate();
  const create = useCreateLead();
  const relate = useRelate();
  const keys = keysBody(rows.map((r) => ({ kind: r.kind || kinds[0]?.name || '', value: r.value })));
  const empty = Object.keys(keys).length === 0;
  // A changed key makes the last answer stale: locate again before acting on it.
  useEffect(() => {
    locate.reset();
    create.reset();
  }, [JSON.stringify(keys)]); // eslint-disable-line react-hooks/exhaustive-deps
  const setRow = (i: number, r: Partial<Row>) => setRows((rs) => rs.map((x, j) => (j === i ? { ...x, ...r } : x)));
  const go = (leadId: string) => {
    onClose();
    navigate(`/leads/${leadId}`);
  };
  const relateTo = (leadId: string) => relate.mutate({ interactionId: interaction!.id, leadId }, { onSuccess: () => go(leadId) });
  const owner = ownerOf(create.error);
  return (
    <Dialog open wide title={interaction ? t('identify.titleFor', { protocol: interaction.protocol ?? interaction.id }) : t('identify.title')} onClose={onClose}>
      <form
        className="identify-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!empty) locate.mutate(keys);
        }}
      >
        {rows.map((r, i) => (
          <fieldset key={i} className="key-row">
            <legend>{t('identify.keyN', { n: i + 1 })}</legend>
            <Select
              label={t('identify.kind')}
              value={r.kind || kinds[0]?.name || ''}
              onChange={(e) => setRow(i, { kind: e.target.value })}
              options={kinds.map((k) => ({ value: k.name, label: label(k.name) }))}
            />
            <TextField label={t('identify.value')} value={r.value} onChange={(e) => setRow(i, { value: e.target.value })} error={keyFieldError(locate.error, r.kind || kinds[0]?.name) ?? keyFieldError(create.error, r.kind || kinds[0]?.name)} />
            {rows.length > 1 && (
              <Button variant="ghost" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))} aria-label={t('identify.removeRow', { n: i + 1 })}>
                {t('identity.remove')}
              </Button>
            )}
          </fieldset>
        ))}
        <div className="identify-actions">
          <Button onClick={() => setRows((rs) => [...rs, { kind: '', value: '' }])}>{t('identify.addRow')}</Button>
          <Button type="submit" variant="primary" disabled={empty || locate.isPending}>
            {t('identify.locate')}
          </Button>
        </div>
        <FormError error={locate.error} />
      </form>
      {locate.isSuccess && (
        <section aria-label={t('identify.matches')} className="matches">
          <h3>{t('identify.matches')}</h3>
          {locate.data.length === 0 ? (
            <Empty>{t('identify.none')}</Empty>
          ) : (
            <ul className="match-list">
              {locate.data.map((m) => (
                <li key={m.lead_id} className="card" aria-label={m.name || m.lead_id}>
                  <strong>{m.name || t('lead.noName')}</strong>
                  <p>
                    {t('identify.matched')}: {m.matched.map(label).join(', ') || '—'}
                  </p>
                  {m.conflicting.length > 0 && (
                    <p className="field-error">
                      {t('identify.conflicting')}: {m.conflicting.map(label).join(', ')}
                    </p>
                  )}
                  <div className="match-actions">
                    <Link to={`/leads/${m.lead_id}`} onClick={onClose} className="btn btn-secondary">
                      {t('identify.openLead')}
                    </Link>
                    {interaction && !interaction.lead_id && (
                      <Button variant="primary" disabled={relate.isPending} onClick={() => relateTo(m.lead_id)}>
                        {t('identify.relate')}
                      </Button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
          {relate.isError && <ErrorBox error={relate.error} />}
          <form
            className="identify-create"
            onSubmit={(e) => {
              e.preventDefault();
              const grouped: Record<string, string[]> = {};
              for (const r of rows) {
                const k = r.kind || kinds[0]?.name || '';
                if (k && r.value.trim()) (grouped[k] ??= []).push(r.value.trim());
              }
              create.mutate(
                { name: name.trim(), keys: grouped },
                {
                  onSuccess: (lead) => {
                    if (interaction && !interaction.lead_id) relateTo(lead.id);
                    else go(lead.id);
                  },
                },
              );
            }}
          >
            <h3>{t('identify.createTitle')}</h3>
            <TextField label={t('identify.name')} value={name} onChange={(e) => setName(e.target.value)} error={fieldErrorIn(create.error, 'name')} required />
            <Button type="submit" variant="primary" disabled={create.isPending || !name.trim()}>
              {t('identify.create')}
            </Button>
            {owner ? (
              <p className="error-box" role="alert">
                {create.error instanceof Error ? create.error.message : t('identity.taken')}{' '}
                <Link to={`/leads/${owner}`} onClick={onClose}>
                  {t('identity.openOwner')}
                </Link>
              </p>
            ) : (
              <FormError error={create.error} />
            )}
          </form>
        </section>
      )}
    </Dialog>
  );
}
