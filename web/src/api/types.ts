// Shapes of the API's answers (internal/openapi/openapi.yaml).
export type State = 'new' | 'in_progress' | 'sale' | 'no_sale';
export const STATES: State[] = ['new', 'in_progress', 'sale', 'no_sale'];
export type Role = 'admin' | 'agent';
export const ENTRY_METHODS = ['chatbot', 'form', 'api', 'meta_lead_ads', 'google_ads', 'import'] as const;
export const CLASSIFICATIONS = ['male', 'female', 'press', 'company'] as const;
export const SORTS = ['newest', 'oldest', 'name', 'most_interactions', 'least_interactions', '-occurrences', 'occurrences'] as const;

export interface Me {
  tenant_id: string;
  user_id: string;
  role: Role;
  name: string;
}

export interface User {
  id: string;
  name: string;
  email?: string;
  role: Role;
  active: boolean;
  away: boolean;
  open_leads: number;
}

export interface Touch {
  at: string;
  entry_method: string;
  site_id: string;
  [field: string]: string | undefined;
}

export interface Actor {
  type: 'user' | 'system' | 'worker';
  id?: string;
}

export interface ScheduledChange {
  id: string;
  state: State;
  sub_state?: string;
  at: string;
  created_by: Actor;
  created_at: string;
}

export interface Lead {
  id: string;
  contact_id: string;
  name: string;
  rating: number;
  state: State;
  sub_state?: string | null;
  owner_id?: string | null;
  entry_method: string;
  site_id: string;
  version: number;
  interactions: number;
  created_at: string;
  updated_at: string;
  contact: {
    email?: string;
    phone?: string;
    whatsapp?: string;
    cpf?: string;
    attributes?: Record<string, string>;
  };
  navigation: Touch & { first_touch: Touch; last_touch: Touch };
  classification?: string | null;
  tags?: string[];
  groups?: string[];
  scheduled_change?: ScheduledChange | null;
  /** identity keys by kind, normalized as stored (issue 14) */
  keys?: Record<string, string[]>;
  occurrences?: { positive: number; neutral: number; negative: number };
  /** 0–100, the positive share of polarized occurrences; null when none */
  sentiment?: number | null;
  tickets?: { open: number; answered: number; finished: number };
  /** consent records captures and forms carried */
  consents?: { text: string; checked: boolean; at: string; page?: string }[];
}

export interface Note {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  updated_at: string;
}

export interface HistoryEvent {
  id: string;
  at: string;
  actor: Actor;
  action: string;
  field?: string;
  before?: unknown;
  after?: unknown;
}

export interface Message {
  id: string;
  from: 'bot' | 'visitor' | 'agent';
  text: string;
  at: string;
}

export interface LeadDetail extends Lead {
  notes: Note[];
  notes_next_cursor?: string | null;
  history: HistoryEvent[];
  history_next_cursor?: string | null;
  conversation: Message[];
  conversation_next_cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface SavedFilter {
  id: string;
  name: string;
  owner_id: string;
  shared: boolean;
  filter: Record<string, string>;
  sort?: string;
}

export interface Group {
  id: string;
  name: string;
}

export interface Job {
  id: string;
  type: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  total: number;
  expected?: number;
  done_count: number;
  failed_count: number;
  errors: { id: string; reason: string }[];
  result?: string;
}

export interface ImportRecord {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  policy: string;
  columns: Record<string, string>;
  rows: number;
  processed: number;
  counts: Record<string, number>;
  errors: { id: string; reason: string }[];
  results?: { row: number; status: string; lead_id?: string; reason?: string }[];
  report_url: string;
}

export interface AttributionRow {
  day?: string;
  source?: string;
  medium?: string;
  campaign?: string;
  site_id?: string;
  leads: number;
  by_state: Record<State, number>;
  sales: number;
  conversion_rate: number;
}

export interface AttributionReport {
  from: string;
  to: string;
  touch: 'first' | 'last';
  group_by: string[];
  interval: 'day' | 'total';
  timezone: string;
  totals: AttributionRow;
  rows: AttributionRow[];
}

export interface SubStateOption {
  id: string;
  label: string;
}

export interface Account {
  id?: string;
  name: string;
  timezone: string;
  country: string;
  sub_states: Partial<Record<State, SubStateOption[]>>;
  version?: number;
}

export interface Site {
  id: string;
  name: string;
  allowed_origins: string[];
  rate_limit_per_minute: number;
  country?: string;
  /** the end of the public key, to recognize it */
  key_hint?: string;
  /** the public key itself: only in the answer to create and rotate-key */
  key?: string;
}

export interface AssignmentRule {
  id?: string;
  name?: string;
  match?: { entry_method?: string; source?: string; campaign?: string; site_id?: string };
  strategy: 'round_robin' | 'least_loaded';
  agents?: string[];
}

export interface AssignmentRules {
  rules: AssignmentRule[];
  version: number;
}
