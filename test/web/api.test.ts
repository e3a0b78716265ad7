import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, createApiClient } from '../../web/src/api.ts';

type Call = { url: string; init: RequestInit };

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return respond(call);
  }) as typeof fetch;
  return { calls, impl };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected a rejection');
}

test('attaches the bearer token and sends JSON bodies', async () => {
  const { calls, impl } = fakeFetch(() => json(200, { ok: true }));
  const api = createApiClient({ getToken: () => 'tok', onSessionLost: () => {}, fetchImpl: impl });
  assert.deepEqual(await api.request('/api/x', { method: 'POST', body: { a: 1 } }), { ok: true });
  const headers = calls[0]?.init.headers as Record<string, string>;
  assert.equal(headers.authorization, 'Bearer tok');
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(calls[0]?.init.body, '{"a":1}');
});

test('surfaces the code and message of an error body', async () => {
  const { impl } = fakeFetch(() => json(401, { error: { code: 'MER_AUTH_BAD_CREDENTIALS', message: 'wrong' } }));
  let lost = 0;
  const api = createApiClient({ getToken: () => null, onSessionLost: () => lost++, fetchImpl: impl });
  const e = await rejection(api.request('/api/auth/login', { method: 'POST', body: {} }));
  assert.equal(e.code, 'MER_AUTH_BAD_CREDENTIALS');
  assert.equal(e.message, 'wrong');
  assert.equal(e.status, 401);
  assert.equal(lost, 0, 'a 401 without a token is not a lost session');
});

test('a 401 on a call that carried a token reports the lost session', async () => {
  const { impl } = fakeFetch(() => json(401, { error: { code: 'MER_AUTH_TOKEN_EXPIRED', message: 'expired' } }));
  const lost: ApiError[] = [];
  const api = createApiClient({ getToken: () => 'old', onSessionLost: (e) => lost.push(e), fetchImpl: impl });
  const e = await rejection(api.request('/api/nodes'));
  assert.equal(e.code, 'MER_AUTH_TOKEN_EXPIRED');
  assert.equal(lost.length, 1);
  assert.equal(lost[0]?.code, 'MER_AUTH_TOKEN_EXPIRED');
});

test('a 403 keeps the session and carries MER_AUTH_FORBIDDEN', async () => {
  const { impl } = fakeFetch(() => json(403, { error: { code: 'MER_AUTH_FORBIDDEN', message: 'no' } }));
  let lost = 0;
  const api = createApiClient({ getToken: () => 'tok', onSessionLost: () => lost++, fetchImpl: impl });
  const e = await rejection(api.request('/api/nodes'));
  assert.equal(e.status, 403);
  assert.equal(e.code, 'MER_AUTH_FORBIDDEN');
  assert.equal(lost, 0);
});

test('a proxy page or a dead network becomes MER_HUB_UNREACHABLE', async () => {
  const proxy = fakeFetch(() => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
  const viaProxy = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: proxy.impl });
  const e1 = await rejection(viaProxy.request('/api/nodes'));
  assert.equal(e1.code, 'MER_HUB_UNREACHABLE');
  assert.equal(e1.status, 502);

  const dead = fakeFetch(() => {
    throw new TypeError('fetch failed');
  });
  const offline = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: dead.impl });
  const e2 = await rejection(offline.request('/api/nodes'));
  assert.equal(e2.code, 'MER_HUB_UNREACHABLE');
  assert.equal(e2.status, 0);

  const teapot = fakeFetch(() => new Response('nope', { status: 418 }));
  const odd = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: teapot.impl });
  assert.equal((await rejection(odd.request('/api/x'))).code, 'MER_INTERNAL');
});

test('a call the caller aborts rejects with the abort, not an ApiError', async () => {
  const { impl } = fakeFetch(({ init }) => {
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    return json(200, {});
  });
  const api = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: impl });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(api.request('/api/nodes', { signal: controller.signal }), { name: 'AbortError' });
});

test('a success answer that is not JSON (an SPA fallback page) is an ApiError, not a crash', async () => {
  const { impl } = fakeFetch(() => new Response('<!doctype html>', { status: 200 }));
  const api = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: impl });
  const e = await rejection(api.request('/api/nodes'));
  assert.equal(e.code, 'MER_INTERNAL');
  assert.match(e.message, /without a JSON body/);
});

test('a call may ask for a longer wait than the default, and a short one times out as MER_HUB_UNREACHABLE', async () => {
  const { impl } = fakeFetch(
    ({ init }) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('timed out', 'TimeoutError')));
      }),
  );
  const api = createApiClient({ getToken: () => null, onSessionLost: () => {}, fetchImpl: impl });
  const keepAlive = setTimeout(() => {}, 5_000); // AbortSignal.timeout does not hold the event loop open
  const e = await rejection(api.request('/api/ingest/hospital-a/rerun', { method: 'POST', body: {}, timeoutMs: 20 }));
  clearTimeout(keepAlive);
  assert.equal(e.code, 'MER_HUB_UNREACHABLE');
  assert.match(e.message, /no answer within 20 ms/);
});
