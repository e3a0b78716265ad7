/**
 * The login session: the token lives in sessionStorage (gone when the tab closes), is checked once against
 * `GET /api/auth/me` at start, and is dropped when any call answers 401; the login page then shows why.
 *
 *   checking ──me ok──► signed-in ──logout / 401──► anonymous(notice?) ──login ok──► signed-in
 *       └──no token / me failed──► anonymous
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { type ApiClient, ApiError, createApiClient, isAbort, isApiError } from '../api.ts';
import type { LoginResponse, MeResponse, Role, User } from '../api-types.ts';

/** The sessionStorage key holding the bearer token. */
export const TOKEN_STORAGE_KEY = 'meridian.token';

/**
 * Where the session stands. `notice` says why a session ended on its own (shown on the login page);
 * `loggedOut` marks an explicit logout, after which the next login starts afresh instead of returning to
 * the page the previous user was on.
 */
export type SessionState =
  | { status: 'checking' }
  | { status: 'anonymous'; notice: ApiError | null; loggedOut: boolean }
  | { status: 'signed-in'; user: User };

/** The session and the actions on it. */
export interface Session {
  state: SessionState;
  api: ApiClient;
  login: (username: string, password: string) => Promise<User>;
  /** Takes a session token issued by an identity-provider login (from the callback's URL fragment). */
  adoptToken: (token: string) => Promise<User>;
  logout: () => void;
}

const SessionContext = createContext<Session | null>(null);

function readToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeToken(token: string | null): void {
  try {
    if (token === null) window.sessionStorage.removeItem(TOKEN_STORAGE_KEY);
    else window.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage blocked: the token then lives only in memory, which is enough for this tab.
  }
}

/**
 * Each role's start page after login: managers and oversight the dashboard, those who run the nodes the node
 * overview, researchers (who may not open the dashboard) the data catalog, clinicians the patient panorama.
 */
const HOME_PATHS: Readonly<Record<Role, string>> = {
  manager: '/dashboard',
  ethics: '/requests',
  auditor: '/dashboard',
  admin: '/nodes',
  steward: '/nodes',
  researcher: '/catalog',
  clinician: '/panorama',
};

/** The path a user lands on after login. */
export function homePathFor(role: Role): string {
  return HOME_PATHS[role];
}

/** Holds the session for the app and provides the API client bound to it. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const tokenRef = useRef<string | null>(readToken());
  const [state, setState] = useState<SessionState>(() =>
    tokenRef.current ? { status: 'checking' } : { status: 'anonymous', notice: null, loggedOut: false },
  );

  const api = useMemo(
    () =>
      createApiClient({
        getToken: () => tokenRef.current,
        onSessionLost: (error) => {
          if (tokenRef.current === null) return;
          tokenRef.current = null;
          writeToken(null);
          setState({ status: 'anonymous', notice: error, loggedOut: false });
        },
      }),
    [],
  );

  useEffect(() => {
    if (!tokenRef.current) return;
    const controller = new AbortController();
    api
      .request<MeResponse>('/api/auth/me', { signal: controller.signal })
      .then(({ user }) => setState({ status: 'signed-in', user }))
      .catch((e: unknown) => {
        if (isAbort(e) || isApiError(e, 401)) return; // a 401 already ended the session via onSessionLost
        const notice = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
        setState({ status: 'anonymous', notice, loggedOut: false });
      });
    return () => controller.abort();
  }, [api]);

  const login = useCallback(
    async (username: string, password: string) => {
      const body = await api.request<LoginResponse>('/api/auth/login', {
        method: 'POST',
        body: { username, password },
      });
      tokenRef.current = body.token;
      writeToken(body.token);
      setState({ status: 'signed-in', user: body.user });
      return body.user;
    },
    [api],
  );

  const adoptToken = useCallback(
    async (token: string) => {
      tokenRef.current = token;
      writeToken(token);
      const { user } = await api.request<MeResponse>('/api/auth/me');
      setState({ status: 'signed-in', user });
      return user;
    },
    [api],
  );

  const logout = useCallback(() => {
    tokenRef.current = null;
    writeToken(null);
    setState({ status: 'anonymous', notice: null, loggedOut: true });
  }, []);

  const value = useMemo(() => ({ state, api, login, adoptToken, logout }), [state, api, login, adoptToken, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The current session; throws outside `<SessionProvider>`. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() used outside <SessionProvider>');
  return session;
}

/** The signed-in user; only for components rendered behind the sign-in guard. */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useUser() used while not signed in');
  return state.user;
}
