// A lead's occurrences in one cell of the list: the total, then positive /
// neutral / negative and the sentiment, spelled out for screen readers.
import { useTranslation } from 'react-i18next';
import type { Lead } from '../../api/types';
import { useFormat } from '../../format';

export function Occurrences({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const o = lead.occurrences ?? { positive: 0, neutral: 0, negative: 0 };
  const total = o.positive + o.neutral + o.negative;
  if (total === 0) return <span className="muted">0</span>;
  const sentiment = lead.sentiment === null || lead.sentiment === undefined ? '' : fmt.number(lead.sentiment / 100, { style: 'percent', maximumFractionDigits: 0 });
  const detail = t('identityList.occurrencesDetail', { total, ...o, sentiment: sentiment || '—' });
  return (
    <span className="occurrences" title={detail}>
      <span aria-hidden="true">
        {fmt.number(total)}{' '}
        <span className="muted">
          (<span className="pos">+{o.positive}</span> ·{o.neutral} <span className="neg">−{o.negative}</span>){sentiment && ` ${sentiment}`}
        </span>
      </span>
      <span className="visually-hidden">{detail}</span>
    </span>
  );
}
