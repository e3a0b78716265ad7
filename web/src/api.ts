/**
 * The one door to the hub API: every call attaches the session token, times out, and turns any failure into
 * an `ApiError` carrying the server's stable `code` and `message` (`{ error: { code, message } }`). A 401 on a
 * call that carried a token means the session is gone; the client reports it through `onSessionLost` once.
 */

/** Longest wait for one API call before it fails with MER_HUB_UNREACHABLE. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** A failed API call: the server's error code and message, plus the HTTP status (0 when nothing answered). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

/** True when `e` is an ApiError, optionally with the given HTTP status. */
export function isApiError(e: unknown, status?: number): e is ApiError {
  return e instanceof ApiError && (status === undefined || e.status === status);
}

/** True when `e` is the abort raised after the caller cancelled a call (not a failure to report). */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** What one call may carry besides its path. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** How long to wait for this call (default {@link REQUEST_TIMEOUT_MS}); long operations pass more. */
  timeoutMs?: number;
}

/** A client bound to one session; `request` resolves with the parsed JSON body or rejects with ApiError. */
export interface ApiClient {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
}

/** How the client finds the token and whom it tells when the server refuses it. */
export interface ApiClientOptions {
  getToken: () => string | null;
  onSessionLost: (error: ApiError) => void;
  fetchImpl?: typeof fetch;
}

/** Builds the API client; one per mounted app, created by the session provider. */
export function createApiClient({ getToken, onSessionLost, fetchImpl = fetch }: ApiClientOptions): ApiClient {
  return {
    async request<T>(
      path: string,
      { method = 'GET', body, signal, timeoutMs = REQUEST_TIMEOUT_MS }: RequestOptions = {},
    ): Promise<T> {
      const token = getToken();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';

      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetchImpl(path, {
          method,
          headers,
          body: body === undefined ? null : JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (e) {
        if (signal?.aborted) throw e;
        const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : String(e);
        throw new ApiError('MER_HUB_UNREACHABLE', `The hub cannot be reached (${reason})`, 0);
      }

      if (response.ok) {
        if (response.status === 204) return undefined as T;
        try {
          return (await response.json()) as T;
        } catch {
          // e.g. an SPA fallback page where the API should be: the /api proxy is missing.
          throw new ApiError(
            'MER_INTERNAL',
            `${path} answered ${response.status} without a JSON body`,
            response.status,
          );
        }
      }
      const error = await toApiError(response);
      if (response.status === 401 && token) onSessionLost(error);
      throw error;
    },
  };
}

/** Reads `{ error: { code, message } }`; a body without it (a proxy's page) gets a code from the status. */
async function toApiError(response: Response): Promise<ApiError> {
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    // Not JSON: fall through to the status-based code.
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    const message = typeof error.message === 'string' ? error.message : error.code;
    return new ApiError(error.code, message, response.status);
  }
  const gateway = response.status === 502 || response.status === 503 || response.status === 504;
  const text = `HTTP ${response.status} ${response.statusText}`.trim();
  return new ApiError(gateway ? 'MER_HUB_UNREACHABLE' : 'MER_INTERNAL', text, response.status);
}
