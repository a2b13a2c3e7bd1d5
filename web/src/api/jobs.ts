// Polls a job (GET /v1/jobs/{id}) until it is done or failed.
import { useQuery } from '@tanstack/react-query';
import { get } from './client';
import type { ImportRecord, Job } from './types';

const finished = (s: string | undefined) => s === 'done' || s === 'failed';

export function useJob(id: string | null) {
  return useQuery({
    queryKey: ['job', id],
    enabled: !!id,
    queryFn: ({ signal }) => get<Job>(`/v1/jobs/${encodeURIComponent(id!)}`, signal),
    refetchInterval: (q) => (finished(q.state.data?.status) ? false : 500),
  });
}

export function useImport(id: string | null) {
  return useQuery({
    queryKey: ['import', id],
    enabled: !!id,
    queryFn: ({ signal }) => get<ImportRecord>(`/v1/imports/${encodeURIComponent(id!)}`, signal),
    refetchInterval: (q) => (finished(q.state.data?.status) ? false : 500),
  });
}
