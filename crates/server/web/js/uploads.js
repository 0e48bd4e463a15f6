// The upload panel: every file on its own row with a progress bar, speed and a cancel
// button. Small files go up in one multipart request; large ones through tus, so they
// survive a broken connection or a reload. Three run at a time.

import { csrfHeaders, errorFrom, ApiError } from './api.js';
import { h, put, size } from './dom.js';
import { TusUpload } from './tus.js';

/** Files at least this large go through tus (resumable). */
export const RESUMABLE_FROM = 8 << 20;
const PARALLEL = 3;

const queue = [];
let running = 0;
let listeners = [];

/** Called with the finished file after each upload (the files page refreshes). */
export function onUploaded(f) {
  listeners.push(f);
  return () => { listeners = listeners.filter((g) => g !== f); };
}

function panel() {
  const el = document.getElementById('uploads');
  if (!el.firstChild) {
    const toggle = h('button', { type: 'button', class: 'link panel-toggle', 'aria-expanded': 'true', 'aria-controls': 'upload-list',
      onclick: () => expand(toggle.getAttribute('aria-expanded') !== 'true') }, h('h2', { id: 'uploads-title', text: 'Uploads' }));
    el.append(
      h('header', {}, toggle, h('button', { type: 'button', class: 'small', text: 'Clear finished', onclick: clearFinished })),
      h('ul', { id: 'upload-list' }));
  }
  el.hidden = false;
  expand(true);
  return el.querySelector('#upload-list');
}

/** Shows or folds the list (the header stays, with a summary). */
function expand(open) {
  clearTimeout(folding);
  const toggle = document.querySelector('#uploads .panel-toggle');
  if (!toggle) return;
  toggle.setAttribute('aria-expanded', String(open));
  document.getElementById('upload-list').hidden = !open;
}

let folding;
/** Once nothing is left to do, the finished list folds away after a moment. */
function summarise() {
  const rows = [...document.querySelectorAll('#upload-list li')];
  const busy = rows.filter((r) => r.className === 'running' || r.className === 'queued').length;
  const failed = rows.filter((r) => r.className === 'failed').length;
  const done = rows.filter((r) => r.className === 'done').length;
  const title = document.getElementById('uploads-title');
  if (title) title.textContent = busy ? `Uploading ${busy} file${busy === 1 ? '' : 's'}` : `Uploads: ${done} done${failed ? `, ${failed} failed` : ''}`;
  if (!busy && !failed) { clearTimeout(folding); folding = setTimeout(() => expand(false), 4000); }
}

function clearFinished() {
  document.querySelectorAll('#upload-list li.done, #upload-list li.failed, #upload-list li.cancelled').forEach((li) => li.remove());
  if (!document.querySelector('#upload-list li')) document.getElementById('uploads').hidden = true;
}

/** Queues `[{file, dir}]` (dir: the folder path it goes into, '' for the top). */
export function enqueue(entries) {
  const list = panel();
  for (const { file, dir } of entries) {
    const job = { file, dir, state: 'queued', sent: 0, started: 0 };
    job.bar = h('progress', { max: file.size || 1, value: 0, 'aria-label': `Upload of ${file.name}` });
    job.status = h('span', { class: 'upload-status', text: 'Waiting' });
    job.cancelButton = h('button', { type: 'button', class: 'small', text: 'Cancel', 'aria-label': `Cancel upload of ${file.name}`, onclick: () => cancel(job) });
    job.row = h('li', { class: 'queued', dataset: { name: file.name } },
      h('div', { class: 'upload-name' }, h('strong', { text: file.name }), h('span', { class: 'muted', text: ` ${size(file.size)}${dir ? ` → ${dir}/` : ''}` })),
      job.bar, h('div', { class: 'upload-meta' }, job.status, job.cancelButton));
    list.append(job.row);
    queue.push(job);
  }
  summarise();
  pump();
}

function pump() {
  while (running < PARALLEL && queue.length) {
    const job = queue.shift();
    if (job.state === 'cancelled') continue;
    running++;
    run(job).finally(() => { running--; pump(); });
  }
}

function progress(job, sent) {
  job.sent = sent;
  job.bar.value = sent;
  const seconds = (performance.now() - job.started) / 1000;
  const fresh = sent - (job.resumedAt || 0);
  const speed = seconds > 0.2 ? `${size(fresh / seconds)}/s` : '';
  const pct = job.file.size ? Math.floor((sent / job.file.size) * 100) : 100;
  put(job.status, `${pct}%${speed ? ` · ${speed}` : ''}${job.resumedAt ? ` · resumed at ${size(job.resumedAt)}` : ''}`);
}

async function run(job) {
  job.state = 'running';
  job.row.className = 'running';
  summarise();
  job.started = performance.now();
  try {
    let file;
    if (job.file.size >= RESUMABLE_FROM) {
      job.tus = new TusUpload(job.file, job.dir, { onProgress: (n) => { job.resumedAt = job.tus.resumedAt; progress(job, n); } });
      file = await job.tus.start();
    } else {
      file = await multipart(job);
    }
    job.state = 'done';
    job.row.className = 'done';
    progress(job, job.file.size);
    put(job.status, `Done${job.resumedAt ? ` (resumed at ${size(job.resumedAt)})` : ''}`);
    job.cancelButton.remove();
    summarise();
    for (const f of listeners) f(file);
  } catch (err) {
    if (job.state === 'cancelled') return;
    job.state = 'failed';
    job.row.className = 'failed';
    put(job.status, h('span', { role: 'alert', text: err.message }));
    job.cancelButton.textContent = 'Remove';
    job.cancelButton.onclick = () => { job.row.remove(); summarise(); };
    summarise();
  }
}

async function cancel(job) {
  const was = job.state;
  job.state = 'cancelled';
  job.row.className = 'cancelled';
  put(job.status, 'Cancelled');
  job.cancelButton.remove();
  summarise();
  if (was === 'running') {
    job.xhr?.abort();
    await job.tus?.cancel();
  }
}

/** One multipart POST with progress (fetch cannot report upload progress; XHR can). */
function multipart(job) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('mtime', String(job.file.lastModified / 1000));
    form.append('file', job.file, job.file.name);
    const xhr = new XMLHttpRequest();
    job.xhr = xhr;
    const dir = job.dir ? `dir=${encodeURIComponent(job.dir)}&` : '';
    xhr.open('POST', `/api/v1/files?${dir}on_conflict=rename`);
    for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => progress(job, e.loaded);
    xhr.onload = async () => {
      if (xhr.status === 201) { resolve(JSON.parse(xhr.responseText).items[0]); return; }
      reject(await errorFrom(new Response(xhr.responseText, { status: xhr.status })));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The connection broke off. Try again.'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Cancelled.'));
    xhr.send(form);
  });
}

/**
 * The files a drop carries, with the folder each goes into: dropped folders are walked
 * (webkitGetAsEntry), so their structure is kept below `baseDir`.
 */
export async function droppedFiles(dataTransfer, baseDir) {
  const entries = [...dataTransfer.items].map((i) => (i.kind === 'file' && i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((e) => !e)) {
    return [...dataTransfer.files].map((file) => ({ file, dir: baseDir }));
  }
  const out = [];
  const join = (a, b) => (a ? `${a}/${b}` : b);
  async function walk(entry, dir) {
    if (entry.isFile) {
      out.push({ file: await new Promise((res, rej) => entry.file(res, rej)), dir });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      const sub = join(dir, entry.name);
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, sub);
      }
    }
  }
  for (const e of entries) await walk(e, baseDir);
  return out;
}

/** The files of an `<input type=file webkitdirectory>`, keeping their folders. */
export function pickedFiles(fileList, baseDir) {
  return [...fileList].map((file) => {
    const rel = file.webkitRelativePath || file.name;
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    return { file, dir: [baseDir, parent].filter(Boolean).join('/') };
  });
}
