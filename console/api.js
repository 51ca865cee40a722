// api.js - how the console talks to actord: only over its REST API, at
// the base the console derives from its own address (everything before
// /console/), so that it works with the service mounted under a prefix.
//
// Reads are retried while the service restarts underneath (a network
// error, or nginx's 502/503/504 "unavailable", or 503 "busy"); writes are
// never retried by themselves: when the answer of a write is lost, the
// caller is told that its outcome is unknown (ApiError.unknown) and says
// what to check.

const i = location.pathname.indexOf('/console/');
export const BASE = i >= 0 ? location.pathname.slice(0, i) : '';

// The path of a route below the service's base, e.g. path('actors', name).
export function path(...parts) {
  return BASE + '/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

// An answer that is not 2xx, or no answer at all.
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status; // 0: no answer
    this.code = code; // the contract's error code, or 'network'
    this.body = body; // the parsed JSON body, when there was one
    // A write whose answer was lost: it may or may not have been done.
    this.unknown = false;
  }

  // "404 no_such_actor: no actor named c9", as the API gives it.
  describe() {
    return this.status ? `${this.status} ${this.code}: ${this.message}`
      : `no answer: ${this.message}`;
  }
}

const statusListeners = new Set();
// fn(state): 'ok', or 'retrying' while reads wait for the service.
export function onServiceState(fn) {
  statusListeners.add(fn);
}
function serviceState(s) {
  for (const fn of statusListeners) fn(s);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One request.  Returns {status, body, text, headers}; throws ApiError.
async function once(method, url, body, type, signal) {
  let resp;
  try {
    const init = {method, signal, headers: {Accept: 'application/json'}};
    if (body !== undefined) {
      init.body = body;
      init.headers['Content-Type'] = type || 'application/json';
    }
    resp = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message || 'the request failed');
  }
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!resp.ok) {
    const code = (json && json.error) || 'http_' + resp.status;
    const msg = (json && json.message) || text.slice(0, 200) || resp.statusText;
    throw new ApiError(resp.status, code, msg, json);
  }
  return {status: resp.status, body: json, text, headers: resp.headers};
}

// The service is restarting or overloaded: worth asking again.
function transient(e) {
  return e instanceof ApiError && (e.status === 0 ||
    ((e.status === 502 || e.status === 503 || e.status === 504) &&
      (e.code === 'unavailable' || e.code === 'busy' ||
       e.code.startsWith('http_'))));
}

// A read: GET, retried with a growing pause for up to about 30 s while
// the service does not answer.  signal (may be undefined) stops it.
export async function get(url, signal) {
  let delay = 250;
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await once('GET', url, undefined, undefined, signal);
      serviceState('ok');
      return r;
    } catch (e) {
      if (!transient(e) || attempt >= 12) throw e;
      serviceState('retrying');
      await sleep(delay);
      delay = Math.min(delay * 2, 4000);
    }
  }
}

// A write, sent once.  When no answer came (the connection broke, nginx
// answered 502 or 504 because actord died or was silent), e.unknown is
// set: the write may have been committed.  503 "unavailable" or "busy"
// means it was refused before anything was stored.
export async function write(method, url, body, type) {
  try {
    return await once(method, url, body, type);
  } catch (e) {
    if (e instanceof ApiError &&
        (e.status === 0 ||
         ((e.status === 502 || e.status === 504) &&
          (e.code === 'unavailable' || e.code.startsWith('http_'))))) {
      e.unknown = true;
    }
    throw e;
  }
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
