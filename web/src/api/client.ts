// The one way the console talks to the API: same origin, bearer token,
// RFC 9457 problems turned into ApiError (status, code, field errors).
import { getToken, onUnauthorized } from '../auth/session';

export interface FieldError {
  field: string;
  code: string;
  detail: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.status = problem.status;
    this.problem = problem;
  }
  /** The message of the field error naming `field`, if any. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.detail;
  }
}

/** The problem detail naming `field` in an error, if the error is a problem with one. */
export function fieldErrorIn(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldError(field) : undefined;
}

/** Whether an error names fields (shown next to them) rather than the whole form. */
export function namesFields(error: unknown): boolean {
  return error instanceof ApiError && !!error.problem.errors?.length;
}

export interface Answer<T> {
  data: T;
  etag: string | null;
  location: string | null;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  ifMatch?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData || typeof opts.body === 'string') {
    body = opts.body;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    let problem: Problem = { status: res.status };
    try {
      problem = { ...(await res.json()), status: res.status };
    } catch {
      /* not a problem document */
    }
    throw new ApiError(problem);
  }
  const type = res.headers.get('Content-Type') ?? '';
  const data = (res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text()) as T;
  return { data, etag: res.headers.get('ETag'), location: res.headers.get('Location') };
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { signal })).data;
}

/** Fetches a file with the bearer token and hands it to the browser as a download. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError({ status: res.status });
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds a query string from the non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
