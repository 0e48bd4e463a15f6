// The file browser: a folder's contents as a list or a grid, breadcrumbs, sorting,
// search, multi-select, and every action on files and folders. Uploads start here (button
// or drag and drop); the details panel and the dialogs live in file_dialogs.js.

import { api, all, pathUrl } from './api.js';
import { h, put, size, when, toast, dialog, confirmAction, field, onSubmit } from './dom.js';
import { enqueue, droppedFiles, pickedFiles, onUploaded } from './uploads.js';
import { unfinished, serverOffset, discard } from './tus.js';
import { showDetails, pickFolder, shareDialog, renameDialog, isImage } from './file_dialogs.js';
import { go } from './app.js';

const join = (dir, name) => (dir ? `${dir}/${name}` : name);
const parentOf = (path) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

const state = {
  dir: '',
  items: [],
  selected: new Set(),
  view: localStorage.getItem('nimbus.view') || 'list',
  sort: JSON.parse(localStorage.getItem('nimbus.sort') || '{"key":"name","dir":1}'),
  query: '',
  searchResults: null,
};
let root;
let stopListening = () => {};

export async function filesPage(rest) {
  state.dir = rest.replace(/\/+$/, '');
  state.selected.clear();
  state.query = '';
  state.searchResults = null;
  root = h('section', { class: 'files', 'aria-label': 'Files' });
  await load();
  draw();
  stopListening();
  let pending;
  stopListening = onUploaded(() => {
    clearTimeout(pending);
    pending = setTimeout(async () => { if (document.body.contains(root)) { await load(); draw(); } }, 150);
  });
  dropZone(root);
  document.title = `${state.dir || 'Files'} · Nimbus`;
  return root;
}

async function load() {
  const prefix = state.dir ? `${state.dir}/` : '';
  state.items = await all(`/api/v1/files?prefix=${encodeURIComponent(prefix)}&delimiter=/&limit=1000`, 100000);
  const paths = new Set(state.items.map((i) => i.path));
  for (const p of [...state.selected]) if (!paths.has(p)) state.selected.delete(p);
}

function sorted(items) {
  const { key, dir } = state.sort;
  const value = (i) => (key === 'size' ? (i.kind === 'file' ? i.size : -1) : key === 'date' ? (i.modified_at || i.updated_at) : i.name);
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return [...items].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    const x = value(a);
    const y = value(b);
    const c = typeof x === 'number' ? x - y : key === 'name' ? collator.compare(x, y) : String(x).localeCompare(String(y));
    return c * dir || collator.compare(a.name, b.name);
  });
}

function draw() {
  const items = state.searchResults ?? state.items;
  put(root,
    breadcrumbs(),
    toolbar(),
    resumeNotice(),
    state.searchResults ? h('p', { class: 'muted', role: 'status', text: `${items.length} result${items.length === 1 ? '' : 's'} for “${state.query}” in all your files` }) : null,
    items.length ? (state.view === 'grid' ? grid(sorted(items)) : table(sorted(items))) : empty(),
    h('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, h('p', { text: `Drop to upload into ${state.dir || 'your files'}` })));
}

function empty() {
  return h('div', { class: 'empty' },
    h('p', { text: state.searchResults ? 'Nothing matches.' : 'This folder is empty.' }),
    state.searchResults ? null : h('p', { class: 'muted', text: 'Drop files or folders here, or use Upload.' }));
}

function breadcrumbs() {
  const parts = state.dir ? state.dir.split('/') : [];
  const crumbs = [h('li', {}, h('a', { href: '#/files/', text: 'My files', 'aria-current': parts.length ? undefined : 'page' }))];
  parts.forEach((name, i) => {
    const path = parts.slice(0, i + 1).join('/');
    crumbs.push(h('li', {}, h('a', { href: `#/files/${pathUrl(path)}`, text: name, 'aria-current': i === parts.length - 1 ? 'page' : undefined })));
  });
  return h('nav', { class: 'crumbs', 'aria-label': 'Folder path' }, h('ol', {}, crumbs));
}

function toolbar() {
  const fileInput = h('input', { type: 'file', multiple: true, hidden: true, id: 'pick-files', onchange: (e) => { enqueue(pickedFiles(e.target.files, state.dir)); e.target.value = ''; } });
  const folderInput = h('input', { type: 'file', multiple: true, hidden: true, webkitdirectory: true, id: 'pick-folder', onchange: (e) => { enqueue(pickedFiles(e.target.files, state.dir)); e.target.value = ''; } });
  const search = h('form', { class: 'search', role: 'search' },
    h('label', { for: 'q', class: 'visually-hidden', text: 'Search by name' }),
    h('input', { id: 'q', type: 'search', placeholder: 'Search by name', value: state.query }),
    h('button', { type: 'submit', class: 'small', text: 'Search' }));
  onSubmit(search, async () => {
    state.query = search.elements.q.value.trim();
    state.selected.clear();
    state.searchResults = state.query ? await all(`/api/v1/files?q=${encodeURIComponent(state.query)}&limit=1000`, 5000) : null;
    draw();
    root.querySelector('#q')?.focus();
  });
  const sortSelect = h('select', { id: 'sort', onchange: (e) => { const [key, dir] = e.target.value.split(':'); setSort(key, Number(dir)); } },
    [['name:1', 'Name A–Z'], ['name:-1', 'Name Z–A'], ['size:-1', 'Largest first'], ['size:1', 'Smallest first'], ['date:-1', 'Newest first'], ['date:1', 'Oldest first']]
      .map(([v, t]) => h('option', { value: v, text: t, selected: v === `${state.sort.key}:${state.sort.dir}` })));
  const n = state.selected.size;
  const chosen = [...state.selected].map((p) => (state.searchResults ?? state.items).find((i) => i.path === p)).filter(Boolean);
  const selection = n ? h('div', { class: 'selection', role: 'group', 'aria-label': 'Selected items' },
    h('span', { text: `${n} selected` }),
    h('button', { type: 'button', class: 'small', text: 'Download', onclick: () => download(chosen) }),
    h('button', { type: 'button', class: 'small', text: 'Move…', onclick: () => moveOrCopy(chosen, 'move') }),
    h('button', { type: 'button', class: 'small', text: 'Copy…', onclick: () => moveOrCopy(chosen, 'copy') }),
    n === 1 && chosen[0]?.kind === 'file' ? h('button', { type: 'button', class: 'small', text: 'Share…', onclick: () => shareDialog(chosen[0]) }) : null,
    n === 1 ? h('button', { type: 'button', class: 'small', text: 'Rename…', onclick: async () => { await renameDialog(chosen[0]); await reload(); } }) : null,
    h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => remove(chosen) }),
    h('button', { type: 'button', class: 'small', text: 'Clear', onclick: () => { state.selected.clear(); draw(); } })) : null;
  return h('div', { class: 'toolbar' },
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', text: 'Upload files', onclick: () => fileInput.click() }),
      h('button', { type: 'button', text: 'Upload folder', onclick: () => folderInput.click() }),
      h('button', { type: 'button', text: 'New folder', onclick: newFolder }),
      fileInput, folderInput),
    search,
    h('div', { class: 'view-options' },
      h('label', { for: 'sort', class: 'visually-hidden', text: 'Sort' }), sortSelect,
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'View' },
        h('button', { type: 'button', class: 'small', text: 'List', 'aria-pressed': String(state.view === 'list'), onclick: () => setView('list') }),
        h('button', { type: 'button', class: 'small', text: 'Grid', 'aria-pressed': String(state.view === 'grid'), onclick: () => setView('grid') }))),
    selection);
}

function setView(v) { state.view = v; localStorage.setItem('nimbus.view', v); draw(); }
function setSort(key, dir) { state.sort = { key, dir }; localStorage.setItem('nimbus.sort', JSON.stringify(state.sort)); draw(); }

/** Uploads this browser started and did not finish (a reload, a closed tab). */
function resumeNotice() {
  const here = unfinished();
  if (!here.length) return null;
  const box = h('div', { class: 'notice', role: 'region', 'aria-label': 'Unfinished uploads' },
    h('p', {}, h('strong', { text: 'Unfinished uploads. ' }), 'Drop or choose the same file again to continue where it stopped.'));
  const list = h('ul', {});
  for (const u of here) {
    const status = h('span', { class: 'muted', text: '' });
    serverOffset(u.url).then((at) => {
      if (at === null) { localStorage.removeItem(u.key); status.textContent = ' (expired)'; } else status.textContent = ` — ${Math.floor((at / u.size) * 100)}% on the server`;
    }).catch(() => {});
    list.append(h('li', { class: 'unfinished', dataset: { name: u.name } }, `${u.name} (${size(u.size)}) into ${u.dir || 'My files'}`, status, ' ',
      h('button', { type: 'button', class: 'small', text: 'Discard', onclick: async () => { await discard(u); draw(); } })));
  }
  box.append(list);
  return box;
}

function checkbox(item) {
  return h('input', {
    type: 'checkbox', checked: state.selected.has(item.path), 'aria-label': `Select ${item.name}`,
    onchange: (e) => { if (e.target.checked) state.selected.add(item.path); else state.selected.delete(item.path); draw(); },
  });
}

function openItem(item) {
  if (item.kind === 'folder') go(`#/files/${pathUrl(item.path)}`);
  else showDetails(item, { refresh: reload });
}

function nameButton(item) {
  return h('button', { type: 'button', class: 'link name', onclick: () => openItem(item), title: item.path },
    state.searchResults ? item.path : item.name);
}

function icon(item) {
  if (item.kind === 'folder') return h('span', { class: 'icon folder', 'aria-hidden': 'true' });
  if (isImage(item)) return h('img', { class: 'thumb', src: `/api/v1/files/${item.id}/thumbnail`, alt: '', loading: 'lazy', width: 40, height: 40 });
  return h('span', { class: `icon file ${item.content_type.split('/')[0]}`, 'aria-hidden': 'true' });
}

function sortHeader(label, key) {
  const active = state.sort.key === key;
  return h('th', { scope: 'col', 'aria-sort': active ? (state.sort.dir > 0 ? 'ascending' : 'descending') : 'none' },
    h('button', { type: 'button', class: 'link', text: `${label}${active ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : ''}`, onclick: () => setSort(key, active ? -state.sort.dir : key === 'name' ? 1 : -1) }));
}

function table(items) {
  const everything = items.length > 0 && items.every((i) => state.selected.has(i.path));
  const selectAll = h('input', {
    type: 'checkbox', checked: everything, 'aria-label': 'Select all',
    onchange: (e) => { items.forEach((i) => (e.target.checked ? state.selected.add(i.path) : state.selected.delete(i.path))); draw(); },
  });
  const rows = items.map((item) => h('tr', { class: state.selected.has(item.path) ? 'selected' : '', dataset: { path: item.path, kind: item.kind } },
    h('td', { class: 'check' }, checkbox(item)),
    h('td', { class: 'icon-cell' }, icon(item)),
    h('td', { class: 'name-cell' }, nameButton(item), item.damaged ? h('span', { class: 'tag danger', text: 'damaged' }) : null),
    h('td', { class: 'size', text: item.kind === 'file' ? size(item.size) : '—' }),
    h('td', { class: 'date', text: when(item.modified_at || item.updated_at) })));
  return h('table', { class: 'listing' },
    h('caption', { class: 'visually-hidden', text: `Contents of ${state.dir || 'My files'}` }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, selectAll), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Type' })),
      sortHeader('Name', 'name'), sortHeader('Size', 'size'), sortHeader('Modified', 'date'))),
    h('tbody', {}, rows));
}

function grid(items) {
  return h('ul', { class: 'grid', 'aria-label': `Contents of ${state.dir || 'My files'}` }, items.map((item) =>
    h('li', { class: state.selected.has(item.path) ? 'card selected' : 'card', dataset: { path: item.path, kind: item.kind } },
      h('div', { class: 'card-check' }, checkbox(item)),
      h('button', { type: 'button', class: 'card-open', onclick: () => openItem(item), 'aria-label': `Open ${item.name}` },
        item.kind === 'file' && isImage(item)
          ? h('img', { src: `/api/v1/files/${item.id}/thumbnail`, alt: '', loading: 'lazy', width: 160, height: 160 })
          : h('span', { class: `big-icon ${item.kind === 'folder' ? 'folder' : 'file'}`, 'aria-hidden': 'true' })),
      h('div', { class: 'card-name', title: item.path, text: state.searchResults ? item.path : item.name }),
      h('div', { class: 'muted', text: item.kind === 'file' ? size(item.size) : 'Folder' }))));
}

async function reload() {
  await load();
  if (state.query) state.searchResults = await all(`/api/v1/files?q=${encodeURIComponent(state.query)}&limit=1000`, 5000);
  draw();
}

function newFolder() {
  const form = h('form', { class: 'stack' },
    field('Folder name', h('input', { name: 'name', required: true, autofocus: true, maxlength: 255 })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Create' })));
  const dlg = dialog('New folder', form);
  onSubmit(form, async (data) => {
    await api('POST', '/api/v1/folders', { path: join(state.dir, data.get('name').trim()) });
    dlg.close();
    toast('Folder created.');
    await reload();
  });
}

/** Moves or copies items into a folder the user picks. Folders copy file by file. */
async function moveOrCopy(items, how) {
  const target = await pickFolder(how === 'move' ? 'Move to…' : 'Copy to…', state.dir);
  if (target === null) return;
  let done = 0;
  try {
    for (const item of items) {
      const to = join(target, item.name);
      if (how === 'move') {
        if (item.kind === 'folder') await api('PATCH', `/api/v1/folders/${pathUrl(item.path)}`, { path: to });
        else await api('PATCH', `/api/v1/files/${item.id}`, { path: to });
      } else if (item.kind === 'file') {
        await api('POST', `/api/v1/files/${item.id}/copy`, { path: to });
      } else {
        await api('POST', '/api/v1/folders', { path: to });
        for (const f of await all(`/api/v1/files?prefix=${encodeURIComponent(`${item.path}/`)}&limit=1000`, 100000)) {
          await api('POST', `/api/v1/files/${f.id}/copy`, { path: to + f.path.slice(item.path.length) });
        }
      }
      done++;
    }
    toast(`${how === 'move' ? 'Moved' : 'Copied'} ${done} item${done === 1 ? '' : 's'}.`);
  } catch (err) {
    toast(err.message, 'error');
  }
  state.selected.clear();
  await reload();
}

async function remove(items) {
  const what = items.length === 1 ? `“${items[0].name}”${items[0].kind === 'folder' ? ' and everything in it' : ''}` : `${items.length} items`;
  if (!(await confirmAction('Delete', `Move ${what} to the trash?`, 'Move to trash'))) return;
  try {
    for (const item of items) {
      if (item.kind === 'folder') await api('DELETE', `/api/v1/folders/${pathUrl(item.path)}`);
      else await api('DELETE', `/api/v1/files/${item.id}`);
    }
    toast('Moved to the trash.');
  } catch (err) {
    toast(err.message, 'error');
  }
  state.selected.clear();
  await reload();
}

/** One file downloads as itself; folders and several items as one zip stream. */
export function download(items) {
  const a = document.createElement('a');
  if (items.length === 1 && items[0].kind === 'file') {
    a.href = `/api/v1/files/${items[0].id}/content`;
  } else {
    a.href = `/api/v1/archive?${items.map((i) => `path=${encodeURIComponent(i.path)}`).join('&')}`;
  }
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

/** Dragging files or folders anywhere onto the page uploads them into this folder. */
function dropZone(el) {
  let depth = 0;
  const has = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  el.addEventListener('dragenter', (e) => { if (!has(e)) return; e.preventDefault(); depth++; el.classList.add('dragging'); });
  el.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; el.classList.remove('dragging'); } });
  el.addEventListener('dragover', (e) => { if (has(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
  el.addEventListener('drop', async (e) => {
    e.preventDefault();
    depth = 0;
    el.classList.remove('dragging');
    const files = await droppedFiles(e.dataTransfer, state.dir);
    if (files.length) enqueue(files);
  });
}
