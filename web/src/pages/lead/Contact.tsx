import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, fieldErrorIn } from '../../api/client';
import { CLASSIFICATIONS, type Group, type LeadDetail, type Touch } from '../../api/types';
import { useFormat } from '../../format';
import { Button, Select, TextField } from '../../ui';
import { Definition, useLeadPatch } from '../Lead';

interface Draft {
  email: string;
  phone: string;
  whatsapp: string;
  cpf: string;
  attributes: Record<string, string>;
  classification: string;
  groups: string[];
  tags: string;
}

function draftOf(lead: LeadDetail): Draft {
  return {
    email: lead.contact.email ?? '',
    phone: lead.contact.phone ?? '',
    whatsapp: lead.contact.whatsapp ?? '',
    cpf: lead.contact.cpf ?? '',
    attributes: { ...(lead.contact.attributes ?? {}) },
    classification: lead.classification ?? '',
    groups: [...(lead.groups ?? [])],
    tags: (lead.tags ?? []).join(', '),
  };
}

/** The changes between what the lead has and what the user typed, as a PATCH body. */
export function contactPatch(lead: LeadDetail, d: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const contact: Record<string, unknown> = {};
  for (const k of ['email', 'phone', 'whatsapp', 'cpf'] as const) {
    const before = lead.contact[k] ?? '';
    if (d[k].trim() !== before) contact[k] = d[k].trim() === '' && k === 'cpf' ? null : d[k].trim();
  }
  const attrs: Record<string, string | null> = {};
  const old = lead.contact.attributes ?? {};
  for (const [k, v] of Object.entries(d.attributes)) if ((old[k] ?? '') !== v) attrs[k] = v === '' ? null : v;
  if (Object.keys(attrs).length) contact.attributes = attrs;
  if (Object.keys(contact).length) body.contact = contact;
  if ((lead.classification ?? '') !== d.classification) body.classification = d.classification || null;
  const tags = d.tags
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (tags.join('\u0000') !== (lead.tags ?? []).join('\u0000')) body.tags = tags;
  if ([...d.groups].sort().join('\u0000') !== [...(lead.groups ?? [])].sort().join('\u0000')) body.groups = d.groups;
  return body;
}

/** Contact data, editable. The draft survives a reload after a 412 so nothing typed is lost. */
export function ContactTab({ lead, etag }: { lead: LeadDetail; etag: string | null }) {
  const { t } = useTranslation();
  const patch = useLeadPatch(lead.id, etag);
  const [draft, setDraft] = useState<Draft>(() => draftOf(lead));
  const [dirty, setDirty] = useState(false);
  const groups = useQuery({ queryKey: ['groups'], queryFn: ({ signal }) => get<{ items: Group[] }>('/v1/groups', signal).then((r) => r.items) });
  useEffect(() => {
    if (!dirty) setDraft(draftOf(lead));
  }, [lead, dirty]);
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => {
    setDirty(true);
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  };
  const fe = (f: string) => fieldErrorIn(patch.error, f);
  const stale = patch.error instanceof ApiError && patch.error.status === 412;
  const body = contactPatch(lead, draft);
  return (
    <form
      className="contact-form"
      onSubmit={(e) => {
        e.preventDefault();
        patch.mutate(body, { onSuccess: () => setDirty(false) });
      }}
    >
      <TextField label={t('contact.email')} type="email" value={draft.email} onChange={set('email')} error={fe('contact.email')} />
      <TextField label={t('contact.phone')} type="tel" value={draft.phone} onChange={set('phone')} error={fe('contact.phone')} />
      <TextField label={t('contact.whatsapp')} type="tel" value={draft.whatsapp} onChange={set('whatsapp')} error={fe('contact.whatsapp')} />
      <TextField label={t('contact.cpf')} value={draft.cpf} onChange={set('cpf')} error={fe('contact.cpf')} />
      {Object.keys(draft.attributes).length > 0 && (
        <fieldset>
          <legend>{t('contact.attributes')}</legend>
          {Object.entries(draft.attributes).map(([k, v]) => (
            <TextField
              key={k}
              label={k}
              value={v}
              onChange={(e) => {
                setDirty(true);
                setDraft((d) => ({ ...d, attributes: { ...d.attributes, [k]: e.target.value } }));
              }}
              error={fe(`contact.attributes.${k}`)}
            />
          ))}
        </fieldset>
      )}
      <Select
        label={t('lead.classification')}
        value={draft.classification}
        onChange={set('classification')}
        options={[{ value: '', label: '—' }, ...CLASSIFICATIONS.map((c) => ({ value: c, label: t(`classifications.${c}`) }))]}
        error={fe('classification')}
      />
      {(groups.data?.length ?? 0) > 0 && (
        <fieldset>
          <legend>{t('lead.groups')}</legend>
          {groups.data!.map((g) => (
            <label key={g.id} className="check">
              <input
                type="checkbox"
                checked={draft.groups.includes(g.id)}
                onChange={(e) => {
                  setDirty(true);
                  setDraft((d) => ({ ...d, groups: e.target.checked ? [...d.groups, g.id] : d.groups.filter((x) => x !== g.id) }));
                }}
              />{' '}
              {g.name}
            </label>
          ))}
        </fieldset>
      )}
      <TextField label={t('lead.tags')} value={draft.tags} onChange={set('tags')} hint={t('contact.tagsHint')} error={fe('tags')} />
      {stale && <p className="field-error">{t('lead.staleDraft')}</p>}
      <Button type="submit" variant="primary" disabled={patch.isPending || Object.keys(body).length === 0}>
        {t('contact.save')}
      </Button>
      {patch.isSuccess && !dirty && (
        <span role="status" className="muted">
          {t('common.saved')}
        </span>
      )}
    </form>
  );
}

const TOUCH_FIELDS = [
  'location',
  'first_contact_at',
  'site_id',
  'generated_at_url',
  'page_url',
  'landing_url',
  'referrer',
  'ip',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'ad_platform',
  'campaign_name',
  'ad_group_name',
  'ad_name',
  'ad_id',
  'form_id',
  'ad_lead_id',
  'entry_method',
  'user_agent',
] as const;

export function NavigationTab({ lead }: { lead: LeadDetail }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const value = (touch: Touch | undefined, f: (typeof TOUCH_FIELDS)[number]): string => {
    if (!touch) return '';
    if (f === 'location') return [touch.city, touch.region, touch.country].filter(Boolean).join(', ');
    if (f === 'first_contact_at') return fmt.dateTime(touch.first_contact_at ?? touch.at);
    if (f === 'entry_method') return t(`entryMethods.${touch.entry_method}`, { defaultValue: touch.entry_method });
    return touch[f] ?? '';
  };
  const first = lead.navigation?.first_touch;
  const last = lead.navigation?.last_touch;
  return (
    <div className="touches">
      {[
        ['first', first],
        ['last', last],
      ].map(([which, touch]) => (
        <section key={which as string} aria-label={t(`touch.${which}`)}>
          <h3>{t(`touch.${which}`)}</h3>
          <Definition items={TOUCH_FIELDS.map((f) => [t(`touch.${f}`), value(touch as Touch | undefined, f)])} />
        </section>
      ))}
    </div>
  );
}
