// The agenda's server state (TanStack Query): records on a lead, my tasks,
// presets, types, statistics and the due-now badge.
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, query, request } from './client';
import type { Page } from './types';

export interface Task {
  id: string;
  lead_id: string;
  description: string;
  due_date?: string;
  due_time?: string;
  timezone: string;
  type?: string;
  done: boolean;
  done_at?: string;
  assignee_id: string;
  author_id: string;
  created_at: string;
  updated_at: string;
  version: number;
  all_day: boolean;
  overdue: boolean;
  due_at: string | null;
}

export interface TaskType {
  id: string;
  label: string;
}

export interface Preset {
  id: string;
  label: string;
  description: string;
  type?: string;
  due_in_days?: number;
  due_time?: string;
}

export type TaskStatus = 'pending' | 'overdue' | 'done' | 'all';
export const TASK_STATUSES: TaskStatus[] = ['pending', 'overdue', 'done', 'all'];

export interface TaskStats {
  from: string;
  to: string;
  total: number;
  by_type: Record<string, number>;
  by_assignee: Record<string, number>;
  by_status: Record<string, number>;
  records: Omit<Task, 'all_day' | 'overdue' | 'due_at'>[];
}

export interface DueNow {
  count: number;
  items: { task_id: string; lead_id: string; description: string; due_at: string; all_day: boolean; at: string }[];
}

/** What a form sends: null clears the date, time or type. */
export interface TaskInput {
  description?: string;
  due_date?: string | null;
  due_time?: string | null;
  type?: string | null;
  done?: boolean;
  assignee_id?: string;
}

export interface MyTasksFilter {
  status: TaskStatus;
  type?: string;
  from?: string;
  to?: string;
  assignee?: string;
}

export function useLeadTasks(leadId: string) {
  return useQuery({
    queryKey: ['tasks', 'lead', leadId],
    queryFn: ({ signal }) => get<{ items: Task[] }>(`/v1/leads/${leadId}/tasks`, signal).then((r) => r.items),
  });
}

export function useMyTasks(f: MyTasksFilter) {
  return useQuery({
    queryKey: ['tasks', 'mine', f],
    queryFn: ({ signal }) => get<Page<Task>>(`/v1/tasks${query({ ...f, limit: 100 })}`, signal),
  });
}

export function useTaskTypes() {
  return useQuery({
    queryKey: ['task-types'],
    queryFn: ({ signal }) => get<{ types: TaskType[] }>('/v1/task-types', signal).then((r) => r.types),
    staleTime: 5 * 60_000,
  });
}

export function useTaskPresets() {
  return useQuery({
    queryKey: ['task-presets'],
    queryFn: ({ signal }) => get<{ presets: Preset[] }>('/v1/task-presets', signal).then((r) => r.presets),
    staleTime: 5 * 60_000,
  });
}

/** A type's label: the account's, else the stored value. */
export function useTypeLabel(): (type?: string) => string {
  const { data } = useTaskTypes();
  return (type) => (type ? (data?.find((t) => t.id === type || t.label === type)?.label ?? type) : '');
}

/** The due-now badge: refreshed every 15 s (and when the window regains focus), no reload needed. */
export function useDueNow(enabled = true) {
  return useQuery({
    queryKey: ['tasks', 'due-now'],
    queryFn: ({ signal }) => get<DueNow>('/v1/tasks/due-now', signal),
    refetchInterval: 15_000,
    enabled,
  });
}

export function useTaskStats(from: string, to: string) {
  return useQuery({
    queryKey: ['tasks', 'stats', from, to],
    queryFn: ({ signal }) => get<TaskStats>(`/v1/tasks/stats${query({ from, to })}`, signal),
  });
}

/** Create, edit, bulk: each refreshes every task list, the badge and the lead's history. */
export function useTaskMutations(leadId?: string) {
  const qc = useQueryClient();
  const changed = () => {
    void qc.invalidateQueries({ queryKey: ['tasks'] });
    if (leadId) void qc.invalidateQueries({ queryKey: ['history', leadId] });
  };
  return {
    create: useMutation({
      mutationFn: (body: TaskInput) => request<Task>(`/v1/leads/${leadId}/tasks`, { method: 'POST', body }).then((a) => a.data),
      onSuccess: changed,
    }),
    update: useMutation({
      mutationFn: ({ task, body }: { task: Task; body: TaskInput }) => request<Task>(`/v1/tasks/${task.id}`, { method: 'PATCH', body, ifMatch: `"${task.version}"` }).then((a) => a.data),
      onSuccess: changed,
    }),
    bulk: useMutation({
      mutationFn: ({ action, ids }: { action: 'delete' | 'complete'; ids: string[] }) =>
        request<{ done: string[]; failed: Record<string, string> }>('/v1/tasks/bulk', { method: 'POST', body: { action, ids } }).then((a) => a.data),
      onSuccess: changed,
    }),
  };
}

/** The date (YYYY-MM-DD) `days` after today in the account's timezone. */
export function dayAfter(today: string, days: number): string {
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export type Bucket = 'overdue' | 'today' | 'later' | 'undated' | 'done';

/** Where a record sits on My tasks: overdue, due today (account's day), later, undated or done. */
export function bucketOf(t: Pick<Task, 'done' | 'overdue' | 'due_date'>, today: string): Bucket {
  if (t.done) return 'done';
  if (t.overdue) return 'overdue';
  if (!t.due_date) return 'undated';
  return t.due_date <= today ? 'today' : 'later';
}

/** The lead names of the records listed, one cached read per lead. */
export function useLeadNames(ids: string[]): (id: string) => string | undefined {
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['lead-name', id],
      queryFn: ({ signal }: { signal: AbortSignal }) => get<{ name: string }>(`/v1/leads/${id}`, signal).then((l) => l.name),
      staleTime: 5 * 60_000,
      retry: false,
    })),
  });
  const names = new Map(ids.map((id, i) => [id, results[i]?.data]));
  return (id) => names.get(id);
}
