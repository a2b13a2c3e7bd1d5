// Cognito managed login: authorization code + PKCE with oidc-client-ts,
// silent renewal, sign-out. The ID token is the bearer token (access tokens
// carry no custom:tenant_id / custom:role).
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';
import { setSession } from './session';

let manager: UserManager | null = null;

export function cognito(cfg: ConsoleConfig): UserManager {
  if (manager) return manager;
  const domain = (cfg.cognito_domain ?? '').replace(/\/$/, '');
  manager = new UserManager({
    authority: domain,
    client_id: cfg.client_id ?? '',
    redirect_uri: cfg.redirect_uri ?? `${location.origin}/auth/callback`,
    post_logout_redirect_uri: cfg.logout_uri ?? `${location.origin}/login`,
    response_type: 'code',
    scope: 'openid email profile',
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.localStorage }),
    // Cognito's hosted UI has no discovery document at the domain root.
    metadata: {
      issuer: domain,
      authorization_endpoint: `${domain}/oauth2/authorize`,
      token_endpoint: `${domain}/oauth2/token`,
      userinfo_endpoint: `${domain}/oauth2/userInfo`,
      revocation_endpoint: `${domain}/oauth2/revoke`,
      end_session_endpoint: `${domain}/logout`,
    },
  });
  const keep = (u: User | null) => setSession(u?.id_token ? { token: u.id_token, via: 'cognito' } : null);
  manager.events.addUserLoaded(keep);
  manager.events.addUserUnloaded(() => setSession(null));
  manager.events.addSilentRenewError(() => setSession(null));
  return manager;
}

export async function cognitoSignIn(cfg: ConsoleConfig): Promise<void> {
  await cognito(cfg).signinRedirect();
}

export async function cognitoCallback(cfg: ConsoleConfig): Promise<void> {
  const user = await cognito(cfg).signinRedirectCallback();
  setSession(user.id_token ? { token: user.id_token, via: 'cognito' } : null);
}

export async function cognitoSignOut(cfg: ConsoleConfig): Promise<void> {
  const m = cognito(cfg);
  await m.removeUser();
  setSession(null);
  // Cognito's /logout takes client_id and logout_uri rather than the OIDC parameters.
  const domain = (cfg.cognito_domain ?? '').replace(/\/$/, '');
  const params = new URLSearchParams({ client_id: cfg.client_id ?? '', logout_uri: cfg.logout_uri ?? `${location.origin}/login` });
  location.assign(`${domain}/logout?${params}`);
}

/** On start in Cognito mode: load the stored user so silent renewal keeps the ID token fresh. */
export async function startCognito(cfg: ConsoleConfig): Promise<void> {
  const user = await cognito(cfg).getUser();
  if (user && !user.expired && user.id_token) setSession({ token: user.id_token, via: 'cognito' });
}
