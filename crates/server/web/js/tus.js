// A resumable upload (tus 1.0 against /api/v1/uploads): the file goes up in chunks, each
// acknowledged chunk is durable on the server, and the upload's address is kept in
// localStorage under the file's fingerprint, so after a reload (or a lost connection)
// choosing the same file again continues where the server stopped.

import { csrfHeaders, errorFrom, ApiError } from './api.js';

const PREFIX = 'nimbus.tus:';
const TUS = { 'Tus-Resumable': '1.0.0' };

function b64(text) {
  let bin = '';
  for (const byte of new TextEncoder().encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

/** What we know about a file without reading it; the same file chosen again matches. */
export function fingerprint(file, dir) {
  return `${PREFIX}${dir}\u0000${file.name}\u0000${file.size}\u0000${file.lastModified}`;
}

/** Unfinished uploads this browser remembers: [{key, name, dir, size, url}]. */
export function unfinished() {
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (!key.startsWith(PREFIX)) continue;
    try { out.push({ key, ...JSON.parse(localStorage.getItem(key)) }); } catch { localStorage.removeItem(key); }
  }
  return out;
}

/** How far the server has an upload (null when it is gone: expired, finished or cancelled). */
export async function serverOffset(url) {
  const r = await fetch(url, { method: 'HEAD', headers: TUS, credentials: 'same-origin' });
  return r.ok ? Number(r.headers.get('Upload-Offset')) : null;
}

/** Forgets an unfinished upload and removes its bytes from the server. */
export async function discard(entry) {
  localStorage.removeItem(entry.key);
  await fetch(entry.url, { method: 'DELETE', headers: { ...TUS, ...csrfHeaders() }, credentials: 'same-origin' }).catch(() => {});
}

export class TusUpload {
  /** `onProgress(bytesOnServerOrInFlight)`; `chunkSize` bounds what one request carries. */
  constructor(file, dir, { onProgress = () => {}, chunkSize = 16 << 20, onConflict = 'rename' } = {}) {
    this.file = file;
    this.dir = dir;
    this.onProgress = onProgress;
    this.chunkSize = chunkSize;
    this.onConflict = onConflict;
    this.key = fingerprint(file, dir);
    this.resumedAt = 0;
    this.aborted = false;
  }

  /** Uploads the rest of the file; resolves with the finished `file` object. */
  async start() {
    let url = null;
    let offset = 0;
    const stored = unfinished().find((u) => u.key === this.key);
    if (stored) {
      const at = await serverOffset(stored.url).catch(() => null);
      if (at !== null) { url = stored.url; offset = at; this.resumedAt = at; } else localStorage.removeItem(this.key);
    }
    if (!url) url = await this.create();
    this.url = url;
    this.onProgress(offset);
    let failures = 0;
    while (offset < this.file.size) {
      if (this.aborted) throw new ApiError(0, 'aborted', 'Cancelled.');
      try {
        offset = await this.patch(offset);
        this.onProgress(offset); // acknowledged by the server
        failures = 0;
      } catch (err) {
        if (this.aborted || err.status === 404 || (err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 460)) throw err;
        // A lost connection, a busy server, or a damaged chunk: ask where the server is and go on.
        if (++failures > 6) throw err;
        await new Promise((r) => setTimeout(r, 500 * 2 ** failures));
        const at = await serverOffset(url).catch(() => null);
        if (at === null && err.status !== 0) throw err;
        if (at !== null) offset = at;
      }
    }
    localStorage.removeItem(this.key);
    const id = url.split('/').pop();
    const r = await fetch(`/api/v1/uploads/${id}`, { credentials: 'same-origin' });
    return r.ok ? (await r.json()).upload.file : null;
  }

  async create() {
    const meta = { filename: this.file.name, dir: this.dir, on_conflict: this.onConflict, mtime: String(Math.floor(this.file.lastModified / 1000)) };
    if (this.file.type) meta.filetype = this.file.type;
    if (!this.dir) delete meta.dir;
    const r = await fetch('/api/v1/uploads', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        ...TUS, ...csrfHeaders(),
        'Upload-Length': String(this.file.size),
        'Upload-Metadata': Object.entries(meta).map(([k, v]) => `${k} ${b64(v)}`).join(','),
      },
    });
    if (!r.ok) throw await errorFrom(r);
    const url = new URL(r.headers.get('Location'), location.href).pathname;
    localStorage.setItem(this.key, JSON.stringify({ name: this.file.name, dir: this.dir, size: this.file.size, url }));
    return url;
  }

  /** Sends one chunk from `offset`; resolves with the server's new offset. */
  patch(offset) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open('PATCH', this.url);
      for (const [k, v] of Object.entries({ ...TUS, ...csrfHeaders(), 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' })) {
        xhr.setRequestHeader(k, v);
      }
      xhr.upload.onprogress = (e) => this.onProgress(offset + e.loaded);
      xhr.onload = async () => {
        if (xhr.status === 204) { resolve(Number(xhr.getResponseHeader('Upload-Offset'))); return; }
        if (xhr.status === 409 && xhr.getResponseHeader('Upload-Offset')) { resolve(Number(xhr.getResponseHeader('Upload-Offset'))); return; }
        reject(await errorFrom(new Response(xhr.response, { status: xhr.status })));
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'The connection broke off.'));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Cancelled.'));
      xhr.send(this.file.slice(offset, Math.min(offset + this.chunkSize, this.file.size)));
    });
  }

  abort() {
    this.aborted = true;
    this.xhr?.abort();
  }

  /** Stops and removes what the server has of it. */
  async cancel() {
    this.abort();
    if (this.url) await discard({ key: this.key, url: this.url });
    else localStorage.removeItem(this.key);
  }
}
