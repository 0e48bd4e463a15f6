// The JSON API, as the app calls it: the session cookie authenticates, and every change
// echoes the readable CSRF cookie in `X-CSRF-Token` (the server also checks `Origin`).
// Errors become ApiError with a sentence a person can read, never raw JSON.

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** The value of a readable cookie. */
export function cookie(name) {
  const pair = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${name}=`));
  return pair ? decodeURIComponent(pair.slice(name.length + 1)) : '';
}

/** Headers every state-changing request carries. */
export function csrfHeaders() {
  return { 'X-CSRF-Token': cookie('nimbus_csrf') };
}

// What the app says for each error code; the server's own sentence follows for detail.
const READABLE = {
  unauthorized: 'Please sign in again.',
  token_expired: 'Your session has ended. Please sign in again.',
  invalid_credentials: 'Wrong username, e-mail or password.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'It is not there (any more).',
  user_not_found: 'There is no user with that name.',
  link_not_found: 'This link no longer works.',
  username_taken: 'That username is taken.',
  email_taken: 'That e-mail address is already used by another account.',
  path_exists: 'Something with that name is already there.',
  storage_in_use: 'Files are still stored there.',
  quota_exceeded: 'Not enough space left on your plan.',
  insufficient_storage: 'The server is out of space right now. Try again later.',
  payload_too_large: 'That is larger than this server accepts.',
  validation_failed: 'Please check the highlighted fields.',
  invalid_code: 'That code is wrong, used or expired.',
  cannot_share_with_self: 'You cannot share with yourself.',
  invalid_storage_credentials: 'The bucket refused these settings.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  content_damaged: 'This file’s stored bytes are damaged. Upload it again to repair it.',
  unsupported_media_type: 'That kind of file is not accepted here.',
  image_too_large: 'This image is too large to preview.',
  conflict: 'Someone else changed this at the same time. Try again.',
  offset_mismatch: 'The upload moved on elsewhere; continuing from the server’s position.',
  checksum_mismatch: 'A piece of the upload arrived damaged; it will be sent again.',
};

/** Turns a failed response into an ApiError with a readable message. */
export async function errorFrom(res) {
  let code = 'error';
  let message = '';
  let fields;
  try {
    const body = await res.json();
    code = body?.error?.code || code;
    message = body?.error?.message || '';
    fields = body?.error?.fields;
  } catch { /* not JSON: a proxy or a network error page */ }
  return new ApiError(res.status, code, readable(res.status, code, message), fields);
}

// Codes whose server sentence says what exactly to fix (which field, which limit).
const WITH_DETAIL = new Set(['validation_failed', 'invalid_storage_credentials', 'payload_too_large', 'bad_request', 'quota_exceeded', 'forbidden']);

export function readable(status, code, message) {
  const detail = message ? message.charAt(0).toUpperCase() + message.slice(1).replace(/\.$/, '') : '';
  const known = READABLE[code];
  // The server's sentence already says it all (e.g. why a bucket was refused).
  if (code === 'invalid_storage_credentials' && detail) return `${detail}.`;
  if (known) return WITH_DETAIL.has(code) && detail ? `${known} ${detail}.` : known;
  if (status >= 500) return 'The server had a problem. Please try again.';
  return detail ? `${detail}.` : `Request failed (${status}).`;
}

let onUnauthorized = () => {};
/** What to do when the session ends (the app shows the sign-in page). */
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

/** `api('POST', '/api/v1/folders', {path})` → parsed JSON (null for 204). */
export async function api(method, path, body, { raw = false, quietAuth = false } = {}) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') Object.assign(headers, csrfHeaders());
  let payload;
  if (body instanceof Blob || body instanceof FormData) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && !quietAuth && err.code !== 'invalid_credentials') onUnauthorized();
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : null;
}

/** Every page of a listing, up to `max` items. */
export async function all(path, max = 10000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/** Encodes a path for `/api/v1/folders/{path}` and `/fs/{path}`, keeping its slashes. */
export function pathUrl(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}
