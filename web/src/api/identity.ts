// Issue 14 on the console: identity keys, locate/create/relate, the
// cross-channel timeline, duplicates and merges (api.md § "Contacts,
// interactions and merges"). Types of the answers and the TanStack Query
// hooks every screen of it uses.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, get, query, request } from './client';
import type { HistoryEvent, Lead, Page } from './types';

export const BUILTIN_KINDS = ['email', 'phone', 'whatsapp', 'cpf', 'rg', 'facebook_id', 'x_id', 'instagram_username'] as const;
export const CHANNELS = ['chatbot', 'form', 'meta_lead_ads', 'google_ads', 'import', 'whatsapp', 'facebook', 'instagram', 'x', 'email', 'phone'] as const;
export const INTERACTION_STATUSES = ['open', 'answered', 'finished'] as const;
export const POLARITIES = ['positive', 'neutral', 'negative'] as const;

/** A lead's identity keys: values by kind, normalized as stored. */
export type Keys = Record<string, string[]>;

/** One key kind of the account: a built-in or one an admin defined. */
export interface KeyKind {
  name: string;
  label?: string;
  pattern?: string;
  unique: boolean;
  built_in?: boolean;
}

export interface KeyKinds {
  items: KeyKind[];
  etag: string | null;
}

export interface LocateMatch {
  lead_id: string;
  name: string;
  matched: string[];
  conflicting: string[];
}

export interface InteractionSummary {
  id: string;
  lead_id?: string | null;
  channel: string;
  kind?: string;
  status?: string;
  priority?: string;
  protocol?: string;
  agent_id?: string | null;
  opened_at?: string;
  answered_at?: string | null;
  finished_at?: string | null;
  polarity?: string | null;
  tags?: string[];
  message_count?: number;
}

export interface Attachment {
  name: string;
  content_type?: string;
  size?: number;
  url: string;
}

export interface InteractionEvent {
  at: string;
  type: string;
  actor?: string | { type?: string; id?: string } | null;
  detail?: string | null;
}

export interface InteractionMessage {
  id?: string;
  from: string;
  text: string;
  at: string;
}

export interface Interaction extends InteractionSummary {
  external_id?: string;
  messages?: InteractionMessage[];
  attachments?: Attachment[];
  events?: InteractionEvent[];
  profile?: Record<string, string | undefined>;
}

export interface Duplicate {
  lead_id: string;
  name: string;
  score: number;
  reasons: { signal: string; value?: string | number | null; strength?: number; match?: string }[];
  /** strong keys both hold with different values (only when an admin forces) */
  conflicts?: { kind: string; values: string[] }[];
}

/** How one field of the merged lead was chosen. */
export interface FieldChoice {
  field: string;
  value?: unknown;
  from?: string;
  why?: string;
}

export interface MergePreview {
  result: Lead;
  moves: Record<string, unknown>;
  fields?: FieldChoice[];
}

export interface MergeDone {
  merge_id: string;
  lead: Lead;
}

/** A merge the lead went through that can still be undone. */
export interface MergeRecord {
  merge_id: string;
  absorbed?: string[];
  at?: string;
  undo_until?: string;
}

/** The account's key kinds with the version to write them back (If-Match). */
export function useKeyKinds() {
  return useQuery({
    queryKey: ['identity-keys'],
    queryFn: async ({ signal }): Promise<KeyKinds> => {
      const a = await request<{ kinds: KeyKind[] }>('/v1/identity-keys', { signal });
      return { items: a.data.kinds ?? [], etag: a.etag };
    },
    staleTime: 5 * 60_000,
  });
}

/** Whether a kind is one of the built-ins (by the answer's flag or by name). */
export function isBuiltin(k: KeyKind): boolean {
  return k.built_in ?? (BUILTIN_KINDS as readonly string[]).includes(k.name);
}

export function useSaveKeyKinds(etag: string | null) {
  const qc = useQueryClient();
  return useMutation({
    // The account's own kinds only: a problem names `kinds[i]…` by their order here.
    mutationFn: (custom: KeyKind[]) =>
      request<unknown>('/v1/identity-keys', {
        method: 'PUT',
        ifMatch: etag,
        body: { kinds: custom.map(({ name, label, pattern, unique }) => ({ name, label, pattern, unique })) },
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['identity-keys'] }),
  });
}

/** Key rows as the API's `keys` object: one value per kind (the last non-empty one typed). */
export function keysBody(rows: { kind: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.kind && r.value.trim()) out[r.kind] = r.value.trim();
  return out;
}

export function useLocate() {
  return useMutation({
    mutationFn: (keys: Record<string, string>) =>
      request<{ matches: LocateMatch[] }>('/v1/contacts/locate', { method: 'POST', body: { keys } }).then((a) => a.data.matches ?? []),
  });
}

/** The lead that owns a key a create was refused for (`409` names it). */
export function ownerOf(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const p = error.problem as { lead_id?: string };
  return p.lead_id ?? null;
}

export function useCreateLead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; keys: Record<string, string | string[]> }) => request<Lead>('/v1/leads', { method: 'POST', body }).then((a) => a.data),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['leads'] }),
  });
}

/** Every query that shows something of a lead a key, merge or relate changed. */
function invalidateLead(qc: ReturnType<typeof useQueryClient>, id: string) {
  for (const key of ['lead', 'history', 'timeline', 'duplicates', 'notes', 'conversation']) void qc.invalidateQueries({ queryKey: [key, id] });
  void qc.invalidateQueries({ queryKey: ['leads'] });
}

export function useRelate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ interactionId, leadId }: { interactionId: string; leadId: string }) =>
      request<Interaction>(`/v1/interactions/${encodeURIComponent(interactionId)}/relate`, { method: 'POST', body: { lead_id: leadId } }).then((a) => a.data),
    onSuccess: (_, v) => {
      invalidateLead(qc, v.leadId);
      void qc.invalidateQueries({ queryKey: ['interaction', v.interactionId] });
    },
  });
}

/**
 * Adds or removes identity keys on a lead: POST /v1/leads/{id}/keys with
 * `{"add": {kind: [values]}, "remove": {kind: [values]}}` (no If-Match: keys
 * are a set, and another change to the lead does not make this one stale).
 */
export function useLeadKeys(leadId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (change: { add?: Keys; remove?: Keys }) => request<Lead>(`/v1/leads/${encodeURIComponent(leadId)}/keys`, { method: 'POST', body: change }),
    onSuccess: () => invalidateLead(qc, leadId),
  });
}

/** A lead's interactions across channels, newest first, page after page. */
export function useTimeline(leadId: string, channel: string) {
  return useInfiniteQuery({
    queryKey: ['timeline', leadId, channel],
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) => get<Page<InteractionSummary>>(`/v1/leads/${encodeURIComponent(leadId)}/timeline${query({ channel, cursor: pageParam, limit: 20 })}`, signal),
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
}

export function useInteraction(id: string | null) {
  return useQuery({
    queryKey: ['interaction', id],
    enabled: !!id,
    queryFn: ({ signal }) => get<Interaction>(`/v1/interactions/${encodeURIComponent(id!)}`, signal),
  });
}

export function useDuplicates(leadId: string, force = false) {
  return useQuery({
    queryKey: ['duplicates', leadId, force],
    queryFn: ({ signal }) => get<{ items: Duplicate[] }>(`/v1/leads/${encodeURIComponent(leadId)}/duplicates${query({ force: force ? 'true' : undefined })}`, signal).then((r) => r.items ?? []),
  });
}

export function useMergePreview(leadId: string, absorb: string[], enabled: boolean) {
  return useQuery({
    queryKey: ['merge-preview', leadId, absorb],
    enabled,
    queryFn: () => request<MergePreview>(`/v1/leads/${encodeURIComponent(leadId)}/merge`, { method: 'POST', body: { absorb, dry_run: true } }).then((a) => a.data),
    staleTime: 0,
    gcTime: 0,
  });
}

export function useMerge(leadId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (absorb: string[]) => request<MergeDone>(`/v1/leads/${encodeURIComponent(leadId)}/merge`, { method: 'POST', body: { absorb } }).then((a) => a.data),
    onSuccess: (_, absorb) => {
      invalidateLead(qc, leadId);
      for (const id of absorb) qc.removeQueries({ queryKey: ['lead', id] });
      void qc.invalidateQueries({ queryKey: ['merges', leadId] });
    },
  });
}

export function useUndoMerge(leadId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (mergeId: string) => request<unknown>(`/v1/merges/${encodeURIComponent(mergeId)}/undo`, { method: 'POST' }),
    onSuccess: () => {
      invalidateLead(qc, leadId);
      void qc.invalidateQueries({ queryKey: ['merges', leadId] });
    },
  });
}

/** How long a merge can be undone (api.md: 30 days). */
export const UNDO_WINDOW_MS = 30 * 86400_000;

/**
 * The merges of a lead that can still be undone, read from its history: a
 * `merged` entry names the merge (`after.merge_id`); a later entry naming the
 * same merge (its undo) closes it.
 */
export function undoableMerges(events: HistoryEvent[], now: number): MergeRecord[] {
  const latest = new Map<string, HistoryEvent>();
  for (const e of [...events].sort((a, b) => b.at.localeCompare(a.at))) {
    const id = mergeIdOf(e);
    if (id && !latest.has(id)) latest.set(id, e);
  }
  const out: MergeRecord[] = [];
  for (const [id, e] of latest) {
    if (e.action !== 'merged') continue;
    const until = new Date(e.at).getTime() + UNDO_WINDOW_MS;
    if (until <= now) continue;
    const after = (e.after ?? {}) as { absorbed?: string[] };
    out.push({ merge_id: id, absorbed: after.absorbed, at: e.at, undo_until: new Date(until).toISOString() });
  }
  return out;
}

function mergeIdOf(e: HistoryEvent): string | undefined {
  for (const v of [e.after, e.before]) {
    if (v && typeof v === 'object' && typeof (v as { merge_id?: unknown }).merge_id === 'string') return (v as { merge_id: string }).merge_id;
  }
  return undefined;
}

/** The lead's merges that can still be undone (its latest 100 history entries). */
export function useUndoableMerges(leadId: string) {
  return useQuery({
    queryKey: ['history', leadId, 'merges'],
    queryFn: ({ signal }) => get<Page<HistoryEvent>>(`/v1/leads/${encodeURIComponent(leadId)}/history?limit=100`, signal).then((p) => undoableMerges(p.items, Date.now())),
  });
}
