// The page's only way to the local companion process: JSON-RPC over fetch, events over SSE.
// Every request carries the CSRF header; the session cookie is HttpOnly and sent by the browser.

const HEADERS = { 'Content-Type': 'application/json', 'X-Parley-Request': '1' };
let nextId = 1;

export class ApiError extends Error {
  // type: the refusal's stable name (JSON-RPC error data.type, e.g. NOT_ADMIN); refusedBy: the server's
  // status when the server refused (data.status), so the page can say what happened in its own words.
  constructor(message, status, type, refusedBy) {
    super(message);
    this.status = status;
    this.type = type || null;
    this.refusedBy = refusedBy || null;
  }
}

export async function rpc(method, params) {
  const response = await fetch('/api/v1/rpc', {
    method: 'POST',
    headers: HEADERS,
    credentials: 'same-origin',
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: params || {} }),
  });
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('parley-session-ended'));
    throw new ApiError(await response.text(), response.status);
  }
  const answer = await response.json();
  if (answer.error) {
    throw new ApiError(answer.error.message, 200, answer.error.data?.type, answer.error.data?.status);
  }
  return answer.result;
}

export async function login(token) {
  const response = await fetch('/web/login', { method: 'POST', headers: HEADERS, body: token });
  if (!response.ok) {
    throw new ApiError(await response.text(), response.status);
  }
}

export async function state() {
  const response = await fetch('/web/state', { credentials: 'same-origin' });
  if (!response.ok) {
    throw new ApiError(await response.text(), response.status);
  }
  return response.json();
}

export async function startLink(name, byCode) {
  const response = await fetch('/web/link', { method: 'POST', headers: HEADERS, body: JSON.stringify({ name, code: !!byCode }) });
  const body = await response.json();
  if (!response.ok) {
    throw new ApiError(body.error || 'linking could not start', response.status);
  }
  return body;
}

// Every event after `since`, then each new one; the browser reconnects by itself with Last-Event-ID.
export function events(since, onEvent, onState) {
  const source = new EventSource('/api/v1/events?since=' + encodeURIComponent(since));
  source.addEventListener('receive', (e) => {
    try {
      onEvent(JSON.parse(e.data));
    } catch (error) {
      console.error('event not handled', error);
    }
  });
  source.onopen = () => onState('open');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return source;
}
