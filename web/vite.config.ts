import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a local server (`go run ./cmd/leadflow-dev`);
// LEADFLOW_API names it (default http://127.0.0.1:8080).
const api = process.env.LEADFLOW_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/v1': api,
      '/dev': api,
      '/config.json': api,
      '/healthz': api,
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
