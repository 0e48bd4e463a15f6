// The dialogs around one file: details (sizes, hashes, CID, CAR), sharing with users,
// public links, signed URLs, renaming, and the folder picker used by move and copy.

import { api, all, pathUrl } from './api.js';
import { h, put, size, when, toast, dialog, copyButton, field, onSubmit, confirmAction } from './dom.js';

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
export const isImage = (f) => f.kind !== 'folder' && IMAGE_TYPES.has((f.content_type || '').split(';')[0]);
const parentOf = (path) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

function row(label, value, extra) {
  return [h('dt', { text: label }), h('dd', {}, value, extra ? [' ', extra] : null)];
}

/** The details panel of a file. `refresh` reloads the listing after a change. */
export async function showDetails(file, { refresh = async () => {} } = {}) {
  const own = file.permission === 'owner';
  const body = h('div', { class: 'details' });
  const dlg = dialog(file.name, body, { wide: true });
  const sharesBox = h('div', { class: 'shares' });
  const linksBox = h('div', { class: 'links' });
  const versionsBox = h('div', { class: 'versions' });
  const newVersion = h('input', { type: 'file', hidden: true, 'aria-label': `New version of ${file.name}` });
  newVersion.addEventListener('change', async () => {
    const chosen = newVersion.files[0];
    if (!chosen) return;
    try {
      // A PUT to the file's path replaces it; the content it had becomes a version.
      const { file: now } = await api('PUT', `/api/v1/fs/${pathUrl(file.path)}`, chosen);
      Object.assign(file, now);
      toast('New version uploaded.');
      await drawVersions();
      await refresh();
    } catch (err) { toast(err.message, 'error'); }
  });
  put(body,
    isImage(file) ? h('img', { class: 'preview', src: `/api/v1/files/${file.id}/thumbnail`, alt: `Preview of ${file.name}` }) : null,
    h('dl', {},
      row('Path', file.path),
      row('Size', `${size(file.size)} (${file.size.toLocaleString()} bytes)`),
      row('Type', file.content_type),
      row('Created', new Date(file.created_at).toLocaleString()),
      row('Modified', new Date(file.modified_at).toLocaleString()),
      own ? null : row('Owner', file.owner.username),
      row('SHA-256', h('code', { class: 'hash', text: file.sha256 }), copyButton(file.sha256, 'Copy SHA-256')),
      file.cid ? row('CID', h('code', { class: 'hash', text: file.cid }), copyButton(file.cid, 'Copy CID')) : null,
      row('CAR', h('a', { href: `/api/v1/files/${file.id}/car`, download: `${file.name}.car`, text: 'Download the CAR export' }))),
    file.damaged ? h('p', { class: 'form-error', role: 'alert', text: 'The stored bytes of this file are damaged. Upload the same file again to repair it.' }) : null,
    h('div', { class: 'button-row' },
      h('a', { class: 'button primary', href: `/api/v1/files/${file.id}/content`, download: file.name, text: 'Download' }),
      own ? h('button', { type: 'button', text: 'Share…', onclick: () => shareDialog(file).then(() => drawShares()) }) : null,
      own ? h('button', { type: 'button', text: 'Public link…', onclick: () => linkDialog(file).then(() => drawLinks()) }) : null,
      own ? h('button', { type: 'button', text: 'Signed URL…', onclick: () => signedUrlDialog(file) }) : null,
      own ? h('button', { type: 'button', text: 'Rename…', onclick: async () => { dlg.close(); await renameDialog(file); await refresh(); } }) : null,
      own ? h('button', { type: 'button', text: 'Upload new version…', onclick: () => newVersion.click() }) : null,
      own ? newVersion : null,
      own ? h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: async () => {
        if (!(await confirmAction('Delete', `Move “${file.name}” to the trash?`, 'Move to trash'))) return;
        await api('DELETE', `/api/v1/files/${file.id}`); dlg.close(); toast('Moved to the trash.'); await refresh();
      } }) : null),
    own ? h('section', {}, h('h3', { text: 'Shared with' }), sharesBox) : null,
    own ? h('section', {}, h('h3', { text: 'Public links' }), linksBox) : null,
    own ? h('section', {}, h('h3', { text: 'Earlier versions' }), versionsBox) : null);
  async function drawVersions() {
    const versions = (await api('GET', `/api/v1/files/${file.id}/versions?limit=1000`)).items;
    put(versionsBox, versions.length ? h('ul', { class: 'plain' }, versions.map((v) => h('li', { dataset: { sha256: v.sha256 } },
      `${new Date(v.created_at).toLocaleString()} · ${size(v.size)} `,
      h('a', { class: 'button small', href: `/api/v1/files/${file.id}/versions/${v.id}/content`, download: file.name, text: 'Download', 'aria-label': `Download the version of ${new Date(v.created_at).toLocaleString()}` }), ' ',
      h('button', { type: 'button', class: 'small', text: 'Restore', 'aria-label': `Restore the version of ${new Date(v.created_at).toLocaleString()}`, onclick: async () => {
        const { file: now } = await api('POST', `/api/v1/files/${file.id}/versions/${v.id}/restore`);
        Object.assign(file, now); toast('Version restored.'); await drawVersions(); await refresh();
      } }), ' ',
      h('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete the version of ${new Date(v.created_at).toLocaleString()}`, onclick: async () => {
        if (!(await confirmAction('Delete version', 'Delete this version forever? This cannot be undone.'))) return;
        await api('DELETE', `/api/v1/files/${file.id}/versions/${v.id}`); toast('Version deleted.'); await drawVersions();
      } })))) : h('p', { class: 'muted', text: 'None. When you replace this file, its previous content is kept here.' }));
  }
  async function drawShares() {
    const shares = (await api('GET', `/api/v1/files/${file.id}/shares`)).items;
    put(sharesBox, shares.length ? h('ul', { class: 'plain' }, shares.map((s) => h('li', {}, s.user.username, ' ',
      h('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Stop sharing with ${s.user.username}`, onclick: async () => {
        await api('DELETE', `/api/v1/files/${file.id}/shares/${s.user.id}`); toast(`No longer shared with ${s.user.username}.`); drawShares();
      } })))) : h('p', { class: 'muted', text: 'Only you.' }));
  }
  async function drawLinks() {
    const links = (await api('GET', `/api/v1/files/${file.id}/links`)).items;
    put(linksBox, links.length ? h('ul', { class: 'plain' }, links.map((l) => h('li', {}, linkSummary(l), ' ', copyButton(l.url, 'Copy link'), ' ',
      h('button', { type: 'button', class: 'small danger', text: 'Revoke', onclick: async () => {
        await api('DELETE', `/api/v1/links/${l.id}`); toast('Link revoked.'); drawLinks();
      } })))) : h('p', { class: 'muted', text: 'No public links.' }));
  }
  if (own) await Promise.all([drawShares(), drawLinks(), drawVersions()]).catch((e) => toast(e.message, 'error'));
  return dlg.closed;
}

function linkSummary(l) {
  const bits = [];
  if (l.has_password) bits.push('password');
  if (l.expires_at) bits.push(`expires ${when(l.expires_at)}`);
  if (l.max_downloads) bits.push(`${l.download_count}/${l.max_downloads} downloads`); else bits.push(`${l.download_count} downloads`);
  return h('span', {}, h('code', { class: 'url', text: l.url }), h('span', { class: 'muted', text: ` (${bits.join(', ')})` }));
}

export function renameDialog(item) {
  const form = h('form', { class: 'stack' },
    field('New name', h('input', { name: 'name', required: true, value: item.name, autofocus: true, maxlength: 255 })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Rename' })));
  const dlg = dialog(`Rename ${item.name}`, form);
  onSubmit(form, async (data) => {
    const name = data.get('name').trim();
    const to = parentOf(item.path) ? `${parentOf(item.path)}/${name}` : name;
    if (item.kind === 'folder') await api('PATCH', `/api/v1/folders/${pathUrl(item.path)}`, { path: to });
    else await api('PATCH', `/api/v1/files/${item.id}`, { path: to });
    dlg.close();
    toast('Renamed.');
  });
  return dlg.closed;
}

/** Share a file with users, by username (suggested as one types). */
export function shareDialog(file) {
  const list = h('div', {});
  const options = h('datalist', { id: 'user-suggestions' });
  const who = h('input', { name: 'username', required: true, list: 'user-suggestions', autocomplete: 'off', autofocus: true });
  let typing;
  who.addEventListener('input', () => {
    clearTimeout(typing);
    const q = who.value.trim();
    if (q.length < 2) return;
    typing = setTimeout(async () => {
      try {
        const users = (await api('GET', `/api/v1/users?q=${encodeURIComponent(q)}`)).items;
        put(options, users.map((u) => h('option', { value: u.username, label: [u.first_name, u.last_name].filter(Boolean).join(' ') || u.username })));
      } catch { /* suggestions are a convenience */ }
    }, 150);
  });
  const form = h('form', { class: 'inline' }, field('Username', who), options, h('button', { type: 'submit', class: 'primary', text: 'Share' }));
  async function draw() {
    const shares = (await api('GET', `/api/v1/files/${file.id}/shares`)).items;
    put(list, h('h3', { text: 'People with access' }), shares.length ? h('ul', { class: 'plain recipients' }, shares.map((s) => h('li', {}, s.user.username, ' ',
      h('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Stop sharing with ${s.user.username}`, onclick: async () => {
        await api('DELETE', `/api/v1/files/${file.id}/shares/${s.user.id}`); draw();
      } })))) : h('p', { class: 'muted', text: 'Not shared with anyone yet.' }));
  }
  onSubmit(form, async (data) => {
    await api('POST', `/api/v1/files/${file.id}/shares`, { username: data.get('username').trim() });
    toast(`Shared with ${data.get('username').trim()}.`);
    form.reset();
    await draw();
  });
  const dlg = dialog(`Share ${file.name}`, h('div', { class: 'stack' }, h('p', { text: 'They can view and download it; only you can change it.' }), form, list), { wide: true });
  draw().catch((e) => toast(e.message, 'error'));
  return dlg.closed;
}

const EXPIRIES = [['', 'Never'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days']];

/** Create a public link (expiry, password, download limit) and copy it. */
export function linkDialog(file) {
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack' },
    field('Expires', h('select', { name: 'expires_in' }, EXPIRIES.map(([v, t]) => h('option', { value: v, text: t })))),
    field('Password (optional)', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    field('Download limit (optional)', h('input', { name: 'max_downloads', type: 'number', min: 1, step: 1 })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Create link' })));
  onSubmit(form, async (data) => {
    const body = {};
    if (data.get('expires_in')) body.expires_in = Number(data.get('expires_in'));
    if (data.get('password')) body.password = data.get('password');
    if (data.get('max_downloads')) body.max_downloads = Number(data.get('max_downloads'));
    const { link } = await api('POST', `/api/v1/files/${file.id}/links`, body);
    put(result, h('p', { text: 'Anyone with this link can download the file:' }),
      h('p', {}, h('input', { class: 'url', readonly: true, value: link.url, 'aria-label': 'Public link', id: 'new-link-url' }), ' ', copyButton(link.url, 'Copy link')));
    form.hidden = true;
  });
  return dialog(`Public link for ${file.name}`, h('div', {}, form, result), { wide: true }).closed;
}

/** A signed URL: downloads without signing in until it expires. */
export function signedUrlDialog(file) {
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack' },
    field('Valid for', h('select', { name: 'expires_in' }, [['300', '5 minutes'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']].map(([v, t]) => h('option', { value: v, text: t })))),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Create signed URL' })));
  onSubmit(form, async (data) => {
    const r = await api('POST', `/api/v1/files/${file.id}/download-url`, { expires_in: Number(data.get('expires_in')) });
    put(result, h('p', { text: `Valid until ${new Date(r.expires_at).toLocaleString()}:` }),
      h('p', {}, h('input', { class: 'url', readonly: true, value: r.url, 'aria-label': 'Signed URL' }), ' ', copyButton(r.url, 'Copy URL')));
  });
  return dialog(`Signed URL for ${file.name}`, h('div', {}, form, result), { wide: true }).closed;
}

/** Lets the user walk their folders and pick one; resolves to its path ('' = top) or null. */
export function pickFolder(title, start) {
  return new Promise((resolve) => {
    let current = start;
    let answer = null;
    const body = h('div', { class: 'picker' });
    const choose = h('button', { type: 'button', class: 'primary', text: 'Choose this folder', onclick: () => { answer = current; dlg.close(); } });
    const dlg = dialog(title, body, { actions: [h('button', { type: 'button', text: 'Cancel', onclick: () => dlg.close() }), choose] });
    async function draw() {
      const prefix = current ? `${current}/` : '';
      const folders = (await all(`/api/v1/files?prefix=${encodeURIComponent(prefix)}&delimiter=/&limit=1000`, 10000)).filter((i) => i.kind === 'folder');
      const parts = current ? current.split('/') : [];
      put(body,
        h('p', {}, h('strong', { text: 'In: ' }), h('span', { class: 'picker-path', text: `My files${current ? ` / ${parts.join(' / ')}` : ''}` })),
        current ? h('button', { type: 'button', class: 'small', text: '↑ Up', onclick: () => { current = parts.slice(0, -1).join('/'); draw(); } }) : null,
        folders.length ? h('ul', { class: 'plain folders' }, folders.map((f) => h('li', {},
          h('button', { type: 'button', class: 'link', text: `📁 ${f.name}`, onclick: () => { current = f.path; draw(); } })))) : h('p', { class: 'muted', text: 'No folders in here.' }));
      choose.textContent = `Choose “${parts.at(-1) || 'My files'}”`;
    }
    draw().catch((e) => toast(e.message, 'error'));
    dlg.closed.then(() => resolve(answer));
  });
}
