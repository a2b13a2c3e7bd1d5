// Polls a job (GET /v1/jobs/{id}) or an import (GET /v1/imports/{id}) every
// half second until it is done or failed.
import { useQuery } from '@tanstack/react-query';
import { get } from './client';
import type { ImportRecord, Job } from './types';

function usePolled<T extends { status: string }>(kind: 'jobs' | 'imports', id: string | null) {
  return useQuery({
    queryKey: [kind, id],
    enabled: !!id,
    queryFn: ({ signal }) => get<T>(`/v1/${kind}/${encodeURIComponent(id!)}`, signal),
    refetchInterval: (q) => (q.state.data?.status === 'done' || q.state.data?.status === 'failed' ? false : 500),
  });
}

export const useJob = (id: string | null) => usePolled<Job>('jobs', id);
export const useImport = (id: string | null) => usePolled<ImportRecord>('imports', id);
