// The REST API: JSON in and out, the access token kept in memory only, and a silent refresh
// from the HttpOnly refresh cookie when it runs out. Only one refresh runs at a time, across
// tabs too (the refresh token rotates: two tabs presenting the same one would revoke it).

let access = null;
let refreshing = null;

// Calls whose 401 means what it says (no session to refresh).
const NO_REFRESH = ['/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh', '/v1/auth/logout',
  '/v1/auth/class-login', '/v1/auth/card-login'];

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (access) headers.Authorization = `Bearer ${access}`;
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body instanceof Blob) {
    headers['Content-Type'] = body.type;
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  return fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
}

async function failure(res) {
  let error = {};
  try {
    error = (await res.json()).error ?? {};
  } catch { /* not JSON */ }
  return new ApiError(res.status, error.code || `http_${res.status}`, error.message, error.details);
}

// Calls the API; a 401 is answered by one refresh and one more try. Reads (GET) that fail
// on the network are tried again a few times: a blip is not an error.
export async function request(method, path, body, { raw = false } = {}) {
  let res;
  for (let attempt = 0; ; attempt += 1) {
    try {
      res = await send(method, path, body);
      break;
    } catch (e) {
      if (method !== 'GET' || attempt >= 3) throw new ApiError(0, 'network', e.message);
      await sleep(400 * 2 ** attempt);
    }
  }
  if (res.status === 401 && !NO_REFRESH.includes(path) && (await refresh())) {
    res = await send(method, path, body);
  }
  if (!res.ok) throw await failure(res);
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

// A new access token from the refresh cookie; false when there is no session.
export function refresh() {
  refreshing ??= (async () => {
    const run = async () => {
      try {
        // keepalive: a page left while this runs still lets the browser take the new
        // cookie (the old refresh token is spent the moment the server answers).
        const res = await fetch('/v1/auth/refresh', { method: 'POST', credentials: 'same-origin', keepalive: true });
        if (!res.ok) {
          access = null;
          return false;
        }
        access = (await res.json()).access_token;
        return true;
      } catch {
        return false;
      }
    };
    try {
      return navigator.locks ? await navigator.locks.request('studyhub-refresh', run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Who is signed in (`{user, learner?, children?}`), or null.
export async function me() {
  try {
    return await get('/v1/auth/me');
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signIn(email, password) {
  const body = await post('/v1/auth/login', { email, password });
  access = body.access_token;
  return body;
}

export async function register(fields) {
  const body = await post('/v1/auth/register', fields);
  access = body.access_token;
  return body;
}

// A pupil without an email: the class code, their learner id and their two pictures, or the
// token of their printed card.
export async function pupilSignIn(joinCode, learnerId, picture) {
  const body = await post('/v1/auth/class-login', { join_code: joinCode, learner_id: learnerId, picture });
  access = body.access_token;
  return body;
}

export async function cardSignIn(token) {
  const body = await post('/v1/auth/card-login', { token });
  access = body.access_token;
  return body;
}

// A CSV body (the pupils' import).
export const postCsv = (path, text) => request('POST', path, new Blob([text], { type: 'text/csv' }));

export async function signOut() {
  try {
    await post('/v1/auth/logout');
  } finally {
    access = null;
  }
}

// A single-use ticket for opening a websocket (browsers cannot send headers there).
export async function ticket(learnerId) {
  const body = await post('/v1/realtime/tickets', learnerId ? { learner_id: learnerId } : {});
  return body.ticket;
}

export function socketUrl(path, params) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = new URLSearchParams(params).toString();
  return `${scheme}://${location.host}${path}?${query}`;
}

// Downloads an authenticated file (a report) and hands it to the browser as a download.
export async function download(path, filename) {
  const res = await request('GET', path, undefined, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// An authenticated image as an object URL (drawings are private to the family).
export async function imageUrl(path) {
  const res = await request('GET', path, undefined, { raw: true });
  return URL.createObjectURL(await res.blob());
}
