// The list's filters live in the query string so a filtered list can be shared.
export const FILTER_KEYS = [
  'q',
  'state',
  'sub_state',
  'owner',
  'entry_method',
  'channel',
  'site',
  'source',
  'medium',
  'campaign',
  'rating_min',
  'classification',
  'group',
  'tag',
  'cpf',
  'sentiment',
  'ticket_status',
  'created_from',
  'created_to',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export const PAGE_SIZES = [20, 50, 100] as const;

export function readFilters(params: URLSearchParams): Filters {
  const out: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** The list's query string: filters, then sort and page size when not the defaults. */
export function listSearch(filters: Filters, sort?: string | null, limit?: number | string | null): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = filters[k]?.trim();
    if (v) p.set(k, v);
  }
  if (sort && sort !== 'newest') p.set('sort', sort);
  if (limit && String(limit) !== '20') p.set('limit', String(limit));
  return p;
}
