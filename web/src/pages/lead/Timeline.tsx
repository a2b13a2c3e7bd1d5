// The lead's journey across channels (GET /v1/leads/{id}/timeline): the
// occurrence, sentiment and ticket figures on top, then every interaction
// newest first; one opens in place with its messages, tags, attachments and
// events (GET /v1/interactions/{id}).
import { useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import { CHANNELS, useInteraction, useTimeline, type Interaction, type InteractionEvent, type InteractionSummary } from '../../api/identity';
import { useUserName } from '../../api/hooks';
import type { Lead } from '../../api/types';
import { useFormat } from '../../format';
import { Button, Empty, ErrorBox, Select, Spinner } from '../../ui';
import { ChartCanvas } from '../../ui/chart';
import { Definition } from '../Lead';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** A short mark per channel in its colour, beside its name (the name is what is read). */
export const CHANNEL_MARKS: Record<string, string> = {
  chatbot: 'CB',
  form: 'FM',
  meta_lead_ads: 'M',
  google_ads: 'G',
  import: 'IM',
  whatsapp: 'WA',
  facebook: 'f',
  instagram: 'IG',
  x: 'X',
  email: '@',
  phone: '☎',
};

export function ChannelLabel({ channel }: { channel: string }) {
  const { t } = useTranslation();
  return (
    <span className={`channel channel-${channel}`}>
      <span aria-hidden="true" className="channel-mark">
        {CHANNEL_MARKS[channel] ?? '•'}
      </span>{' '}
      {t(`channels.${channel}`, { defaultValue: channel })}
    </span>
  );
}

export function TimelineTab({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const [channel, setChannel] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const pages = useTimeline(lead.id, channel);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="timeline">
      <Figures lead={lead} />
      <Select
        label={t('timeline.channel')}
        value={channel}
        onChange={(e) => {
          setChannel(e.target.value);
          setOpen(null);
        }}
        options={[{ value: '', label: t('timeline.allChannels') }, ...CHANNELS.map((c) => ({ value: c, label: t(`channels.${c}`) }))]}
      />
      {pages.isPending && <Spinner />}
      {pages.isError && <ErrorBox error={pages.error} />}
      {pages.isSuccess && items.length === 0 && <Empty>{t('timeline.empty')}</Empty>}
      <ol className="timeline-list" aria-label={t('timeline.list')}>
        {items.map((it) => (
          <TimelineItem key={it.id} item={it} open={open === it.id} onToggle={() => setOpen(open === it.id ? null : it.id)} />
        ))}
      </ol>
      {pages.hasNextPage && (
        <Button onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {t('common.more')}
        </Button>
      )}
    </div>
  );
}

function TimelineItem({ item, open, onToggle }: { item: InteractionSummary; open: boolean; onToggle: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const detailId = `interaction-${item.id}`;
  return (
    <li className={`timeline-item ${open ? 'timeline-open' : ''}`}>
      <button type="button" className="timeline-head" aria-expanded={open} aria-controls={detailId} onClick={onToggle}>
        <ChannelLabel channel={item.channel} />
        {item.kind && <span className="muted"> · {t(`timeline.kinds.${item.kind}`, { defaultValue: item.kind })}</span>}
        {item.status && <span className={`badge status-${item.status}`}>{t(`timeline.statuses.${item.status}`, { defaultValue: item.status })}</span>}
        {item.polarity && <span className={`badge polarity-${item.polarity}`}>{t(`timeline.polarities.${item.polarity}`, { defaultValue: item.polarity })}</span>}
        {item.protocol && (
          <span className="protocol">
            {t('timeline.protocol')} {item.protocol}
          </span>
        )}
        {item.opened_at && (
          <time dateTime={item.opened_at} className="muted">
            {fmt.dateTime(item.opened_at)}
          </time>
        )}
      </button>
      {open && (
        <div id={detailId} className="timeline-detail">
          <InteractionDetail id={item.id} />
          <Link to={`/interactions/${item.id}`}>{t('timeline.permalink')}</Link>
        </div>
      )}
    </li>
  );
}

function actorName(actor: InteractionEvent['actor'], userName: (id: string) => string): string {
  if (!actor) return '';
  if (typeof actor === 'string') return userName(actor);
  return actor.id ? userName(actor.id) : (actor.type ?? '');
}

/** One interaction in full: the figures, tags, attachments, events and messages. */
export function InteractionDetail({ id }: { id: string }) {
  const q = useInteraction(id);
  if (q.isPending) return <Spinner />;
  if (q.isError) return <ErrorBox error={q.error} />;
  return <InteractionBody it={q.data} />;
}

export function InteractionBody({ it }: { it: Interaction }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const userName = useUserName();
  const facts: [string, string][] = [
    [t('timeline.channel'), t(`channels.${it.channel}`, { defaultValue: it.channel })],
    [t('timeline.status'), it.status ? t(`timeline.statuses.${it.status}`, { defaultValue: it.status }) : ''],
    [t('timeline.priority'), it.priority ? t(`timeline.priorities.${it.priority}`, { defaultValue: it.priority }) : ''],
    [t('timeline.protocol'), it.protocol ?? ''],
    [t('timeline.agent'), it.agent_id ? userName(it.agent_id) : ''],
    [t('timeline.openedAt'), fmt.dateTime(it.opened_at)],
    [t('timeline.answeredAt'), fmt.dateTime(it.answered_at)],
    [t('timeline.finishedAt'), fmt.dateTime(it.finished_at)],
    [t('timeline.polarity'), it.polarity ? t(`timeline.polarities.${it.polarity}`, { defaultValue: it.polarity }) : ''],
  ];
  const kb = (size: number) => t('timeline.size', { size: fmt.number(Math.max(1, Math.round(size / 1024))) });
  return (
    <div className="interaction">
      <Definition items={facts} />
      <Part title={t('timeline.tags')} items={it.tags} list="ul" className="tag-list">
        {(tag) => (
          <li key={tag} className="badge">
            {tag}
          </li>
        )}
      </Part>
      <Part title={t('timeline.attachments')} items={it.attachments} list="ul" className="attachments">
        {(a, i) => (
          <li key={`${a.url}-${i}`}>
            <a href={a.url} target="_blank" rel="noreferrer">
              {a.name}
            </a>{' '}
            <span className="muted">{[a.content_type, a.size !== undefined ? kb(a.size) : ''].filter(Boolean).join(' · ')}</span>
          </li>
        )}
      </Part>
      <Part title={t('timeline.events')} items={it.events} list="ol" className="history-list">
        {(e, i) => (
          <li key={`${e.at}-${i}`}>
            <div className="history-meta">
              <time dateTime={e.at}>{fmt.dateTime(e.at)}</time> · {t(`timeline.eventTypes.${e.type}`, { defaultValue: e.type })}
              {actorName(e.actor, userName) && <> · {actorName(e.actor, userName)}</>}
            </div>
            {e.detail && <div>{e.detail}</div>}
          </li>
        )}
      </Part>
      <Part title={t('timeline.messages')} items={it.messages} list="ol" className="transcript">
        {(m, i) => (
          <li key={m.id ?? i} className={`msg msg-${m.from}`}>
            <span className="msg-from">{t(`speakers.${m.from}`, { defaultValue: m.from })}</span>
            <p>{m.text}</p>
            <time dateTime={m.at}>{fmt.dateTime(m.at)}</time>
          </li>
        )}
      </Part>
    </div>
  );
}

/** A titled list of an interaction's parts, or a dash when it has none. */
function Part<T>({ title, items, list: List, className, children }: { title: string; items?: T[] | null; list: 'ul' | 'ol'; className: string; children: (item: T, i: number) => ReactNode }) {
  return (
    <>
      <h4>{title}</h4>
      {items?.length ? <List className={className}>{items.map(children)}</List> : <p className="muted">—</p>}
    </>
  );
}

/** Occurrences by polarity, the sentiment and tickets by status, with a small bar chart. */
export function Figures({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const occ = lead.occurrences ?? { positive: 0, neutral: 0, negative: 0 };
  const tickets = lead.tickets ?? { open: 0, answered: 0, finished: 0 };
  const total = occ.positive + occ.neutral + occ.negative;
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels: [t('timeline.polarities.positive'), t('timeline.polarities.neutral'), t('timeline.polarities.negative')],
        datasets: [{ label: t('timeline.occurrences'), data: [occ.positive, occ.neutral, occ.negative], backgroundColor: ['#16a34a', '#94a3b8', '#dc2626'] }],
      },
      options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    [t, occ.positive, occ.neutral, occ.negative],
  );
  const sentiment = lead.sentiment === null || lead.sentiment === undefined ? t('timeline.noSentiment') : fmt.number(lead.sentiment / 100, { style: 'percent', maximumFractionDigits: 0 });
  return (
    <section className="figures" aria-label={t('timeline.figures')}>
      <dl className="figure-list">
        <div>
          <dt>{t('timeline.occurrences')}</dt>
          <dd>{fmt.number(total)}</dd>
        </div>
        <div>
          <dt>{t('timeline.sentiment')}</dt>
          <dd>{sentiment}</dd>
        </div>
        {(['open', 'answered', 'finished'] as const).map((s) => (
          <div key={s}>
            <dt>{t(`timeline.tickets.${s}`)}</dt>
            <dd>{fmt.number(tickets[s])}</dd>
          </div>
        ))}
      </dl>
      <ChartCanvas
        config={config}
        height={110}
        label={t('timeline.chartLabel', { positive: occ.positive, neutral: occ.neutral, negative: occ.negative })}
      />
    </section>
  );
}
