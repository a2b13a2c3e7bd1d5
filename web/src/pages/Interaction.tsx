// One interaction on its own page (/interactions/<id>), the link an
// integration or a colleague shares: its content, the lead it belongs to, or
// — while it has none — Identify, to relate it to a lead or create one.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useInteraction } from '../api/identity';
import { Button, ErrorBox, Spinner } from '../ui';
import { IdentifyDialog } from './Identify';
import { ChannelLabel, InteractionBody } from './lead/Timeline';

export default function InteractionPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const q = useInteraction(id);
  const [identifying, setIdentifying] = useState(false);
  if (q.isPending) return <Spinner />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404) return <h1>{t('interaction.notFound')}</h1>;
    return <ErrorBox error={q.error} />;
  }
  const it = q.data;
  return (
    <article className="interaction-page">
      <h1>
        {t('interaction.title', { protocol: it.protocol ?? it.id })} · <ChannelLabel channel={it.channel} />
      </h1>
      {it.lead_id ? (
        <p>
          <Link to={`/leads/${it.lead_id}`}>{t('interaction.openLead')}</Link>
        </p>
      ) : (
        <p className="pending" role="status">
          {t('interaction.noLead')}{' '}
          <Button variant="primary" onClick={() => setIdentifying(true)}>
            {t('interaction.identify')}
          </Button>
        </p>
      )}
      <section className="card">
        <InteractionBody it={it} />
      </section>
      {identifying && <IdentifyDialog interaction={it} onClose={() => setIdentifying(false)} />}
    </article>
  );
}
