// /config.json tells how to sign in: {"auth": "local"} from the local
// server, {"auth": "cognito", ...} from the console bucket in AWS.
export interface ConsoleConfig {
  auth: 'local' | 'cognito';
  cognito_domain?: string;
  client_id?: string;
  redirect_uri?: string;
  logout_uri?: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const res = await fetch('/config.json', { headers: { Accept: 'application/json' } });
    if (res.ok) return (await res.json()) as ConsoleConfig;
  } catch {
    /* fall through */
  }
  return { auth: 'local' };
}
