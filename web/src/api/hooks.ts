// Server state shared by every screen (TanStack Query).
import { useQuery } from '@tanstack/react-query';
import { ApiError, get } from './client';
import type { Account, Me, User } from './types';

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: ({ signal }) => get<Me>('/v1/me', signal), staleTime: 5 * 60_000, retry: false });
}

export function useUsers() {
  return useQuery({
    queryKey: ['users'],
    queryFn: ({ signal }) => get<{ items: User[] }>('/v1/users', signal).then((r) => r.items),
    staleTime: 60_000,
  });
}

/** The account (timezone, sub-states). A server without the route yet answers 404: fall back to defaults. */
export function useAccount() {
  return useQuery({
    queryKey: ['account'],
    queryFn: async ({ signal }): Promise<Account | null> => {
      try {
        return await get<Account>('/v1/account', signal);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null;
        throw e;
      }
    },
    staleTime: 5 * 60_000,
  });
}

export function useTimezone(): string {
  const { data } = useAccount();
  return data?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function useUserName(): (id: string | null | undefined) => string {
  const { data } = useUsers();
  return (id) => (id ? (data?.find((u) => u.id === id)?.name ?? id) : '');
}

/** "proposta_enviada" → "Proposta enviada": how a sub-state reads when the account's labels are not readable (agents). */
export function humanize(id: string): string {
  const s = id.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The label of a state's sub-state: the account's, else the id made readable. */
export function useSubStateLabel(): (state: string, id: string | null | undefined) => string {
  const { data } = useAccount();
  return (state, id) => {
    if (!id) return '';
    return data?.sub_states?.[state as keyof Account['sub_states']]?.find((s) => s.id === id)?.label ?? humanize(id);
  };
}
