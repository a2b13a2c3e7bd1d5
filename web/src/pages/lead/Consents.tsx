// The consent records captures and forms carried (LGPD / GDPR): what the
// person was shown, whether they agreed, when and on which page.
import { useTranslation } from 'react-i18next';
import type { Lead } from '../../api/types';
import { useFormat } from '../../format';

export function Consents({ lead }: { lead: Lead }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const items = lead.consents ?? [];
  return (
    <section className="consents" aria-labelledby="consents-title">
      <h3 id="consents-title">{t('consent.title')}</h3>
      {items.length === 0 ? (
        <p className="empty">{t('consent.none')}</p>
      ) : (
        <ul className="plain">
          {items.map((c, i) => (
            <li key={`${c.at}-${i}`} className="consent">
              <strong>{c.checked ? t('consent.given') : t('consent.refused')}</strong> · <time dateTime={c.at}>{fmt.dateTime(c.at)}</time>
              {c.page && (
                <>
                  {' '}
                  · <span className="muted">{c.page}</span>
                </>
              )}
              <blockquote>{c.text}</blockquote>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
