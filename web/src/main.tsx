import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { initI18n } from './i18n/i18n';
import { loadConfig } from './auth/config';
import { App } from './App';
import { ApiError } from './api/client';
import './styles.css';

initI18n();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

void loadConfig().then((config) => {
  if (config.auth === 'cognito') void import('./auth/cognito').then((m) => m.startCognito(config));
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App config={config} />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
});
