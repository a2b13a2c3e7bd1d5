import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import type { ConsoleConfig } from '../auth/config';
import { setSession } from '../auth/session';
import { Button, ErrorBox, Spinner } from '../ui';
import { LanguageSelect } from '../App';

interface DemoUser {
  id: string;
  name: string;
  role: 'admin' | 'agent';
  token: string;
}

export function LoginPage({ config }: { config: ConsoleConfig }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = params.get('next');
  const users = useQuery({
    queryKey: ['dev-users'],
    enabled: config.auth === 'local',
    queryFn: async () => {
      const res = await fetch('/dev/users', { headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return ((await res.json()) as { users: DemoUser[] }).users;
    },
  });
  const signIn = (u: DemoUser) => {
    setSession({ token: u.token, via: 'local' });
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/leads', { replace: true });
  };
  return (
    <main className="login" id="main">
      <div className="login-card">
        <h1>{t('login.title')}</h1>
        <LanguageSelect />
        {config.auth === 'cognito' ? (
          <Button variant="primary" onClick={() => void import('../auth/cognito').then((m) => m.cognitoSignIn(config))}>
            {t('login.cognito')}
          </Button>
        ) : (
          <>
            <p>{t('login.pickUser')}</p>
            {users.isPending && <Spinner />}
            {users.isError && <ErrorBox error={users.error} />}
            <ul className="login-users">
              {users.data?.map((u) => (
                <li key={u.id}>
                  <Button variant="secondary" onClick={() => signIn(u)} aria-describedby={`role-${u.id}`}>
                    {u.name}
                  </Button>
                  <span id={`role-${u.id}`} className="muted">
                    {t(`roles.${u.role}`)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </main>
  );
}
