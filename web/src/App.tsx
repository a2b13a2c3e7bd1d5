import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, Navigate, NavLink, Outlet, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { ConsoleConfig } from './auth/config';
import { getSession, setSession, setUnauthorizedHandler } from './auth/session';
import { useMe } from './api/hooks';
import { LANGUAGES, setLanguage, type Language } from './i18n/i18n';
import { Button, Dialog, ErrorBox, Spinner } from './ui';
import { useShortcuts } from './keys';
import { LoginPage } from './pages/Login';
import { LeadsPage } from './pages/Leads';
import { TasksNavLinks } from './pages/tasks/Nav';
import { IdentifyButton } from './pages/Identify';

const LeadPage = lazy(() => import('./pages/Lead'));
const AttributionPage = lazy(() => import('./pages/Attribution'));
const SettingsPage = lazy(() => import('./pages/Settings'));
const MyTasksPage = lazy(() => import('./pages/MyTasks'));
const TaskStatsPage = lazy(() => import('./pages/TaskStats'));
const InteractionPage = lazy(() => import('./pages/Interaction'));

export function App({ config }: { config: ConsoleConfig }) {
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      qc.clear();
      if (!location.pathname.startsWith('/login')) navigate('/login', { replace: true });
    });
  }, [navigate, qc, location.pathname]);
  return (
    <Routes>
      <Route path="/login" element={<LoginPage config={config} />} />
      <Route path="/auth/callback" element={<AuthCallback config={config} />} />
      <Route element={<RequireSession config={config} />}>
        <Route path="/" element={<Navigate to="/leads" replace />} />
        <Route path="/leads" element={<LeadsPage />} />
        <Route path="/leads/:id" element={<LeadPage />} />
        <Route path="/attribution" element={<AttributionPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="/tasks" element={<MyTasksPage />} />
        <Route path="/tasks/stats" element={<TaskStatsPage />} />
        <Route path="/interactions/:id" element={<InteractionPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function AuthCallback({ config }: { config: ConsoleConfig }) {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    import('./auth/cognito')
      .then((m) => m.cognitoCallback(config))
      .then(() => navigate('/leads', { replace: true }))
      .catch(setError);
  }, [config, navigate]);
  return <main className="center">{error ? <ErrorBox error={error} /> : <Spinner />}</main>;
}

function RequireSession({ config }: { config: ConsoleConfig }) {
  const location = useLocation();
  if (!getSession()) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Shell config={config} />;
}

export function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <label className="lang">
      <span>{t('nav.language')}</span>
      <select value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell({ config }: { config: ConsoleConfig }) {
  const { t } = useTranslation();
  const me = useMe();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [help, setHelp] = useState(false);
  useShortcuts({ '?': () => setHelp(true) });
  const signOut = () => {
    qc.clear();
    if (getSession()?.via === 'cognito') {
      void import('./auth/cognito').then((m) => m.cognitoSignOut(config));
      return;
    }
    setSession(null);
    navigate('/login');
  };
  return (
    <div className="app">
      <a href="#main" className="skip">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <Link to="/leads" className="brand">
          Leadflow
        </Link>
        <nav aria-label={t('nav.main')}>
          <NavLink to="/leads">{t('nav.leads')}</NavLink>
          <NavLink to="/attribution">{t('nav.attribution')}</NavLink>
          <TasksNavLinks />
          {me.data?.role === 'admin' && <NavLink to="/settings">{t('nav.settings')}</NavLink>}
        </nav>
        <div className="topbar-end">
          <IdentifyButton />
          <LanguageSelect />
          {me.data && (
            <span className="who">
              {me.data.name} · {t(`roles.${me.data.role}`)}
            </span>
          )}
          <Button variant="ghost" onClick={signOut}>
            {t('nav.signOut')}
          </Button>
        </div>
      </header>
      <main id="main">
        {me.isError ? (
          <ErrorBox error={me.error} />
        ) : (
          <Suspense fallback={<Spinner />}>
            <Outlet />
          </Suspense>
        )}
      </main>
      <Dialog open={help} title={t('shortcuts.title')} onClose={() => setHelp(false)}>
        <ShortcutList />
      </Dialog>
    </div>
  );
}

const SHORTCUTS: [string, string][] = [
  ['j', 'shortcuts.down'],
  ['k', 'shortcuts.up'],
  ['Enter', 'shortcuts.open'],
  ['[', 'shortcuts.prev'],
  [']', 'shortcuts.next'],
  ['0–5', 'shortcuts.rate'],
  ['n', 'shortcuts.note'],
  ['?', 'shortcuts.help'],
];

function ShortcutList() {
  const { t } = useTranslation();
  return (
    <dl className="shortcuts">
      {SHORTCUTS.map(([key, label]) => (
        <div key={key}>
          <dt>
            <kbd>{key}</kbd>
          </dt>
          <dd>{t(label)}</dd>
        </div>
      ))}
    </dl>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <section>
      <h1>{t('common.notFound')}</h1>
      <Link to="/leads">{t('nav.leads')}</Link>
    </section>
  );
}
