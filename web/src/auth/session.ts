// Who is signed in: a bearer token kept in localStorage (local mode: the
// demo user's token; Cognito mode: the ID token oidc-client-ts keeps fresh).
const KEY = 'leadflow.session';

export interface Session {
  token: string;
  /** how the token was obtained: a demo user locally, or Cognito */
  via: 'local' | 'cognito';
}

let unauthorizedHandler: (() => void) | null = null;

export function getSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return getSession()?.token ?? null;
}

export function setSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

/** Called by the API client on any 401: the session is over. */
export function onUnauthorized(): void {
  setSession(null);
  unauthorizedHandler?.();
}

export function setUnauthorizedHandler(fn: () => void): void {
  unauthorizedHandler = fn;
}
