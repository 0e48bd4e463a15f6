// Administration: every user with their usage; change quota, disable or enable, promote
// or demote.

import { all, api } from './api.js';
import { h, put, size, toast, dialog, field, onSubmit, copyButton } from './dom.js';
import { session } from './app.js';

const GIB = 1024 ** 3;

export async function adminPage() {
  document.title = 'Admin · Nimbus';
  if (!session.user?.is_admin) return h('p', { class: 'form-error', text: 'Only administrators can see this page.' });
  const root = h('section', { class: 'admin' });
  async function draw() {
    const users = await all('/api/v1/admin/users?limit=1000', 100000);
    const patch = async (u, body, done) => {
      try { await api('PATCH', `/api/v1/admin/users/${u.id}`, body); toast(done); await draw(); } catch (e) { toast(e.message, 'error'); }
    };
    put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Users' }),
      h('button', { type: 'button', class: 'primary', text: 'Invite someone…', onclick: invite })), h('table', { class: 'listing admin-users' },
      h('thead', {}, h('tr', {}, ['User', 'E-mail', 'Used', 'Quota', 'Files', 'Status', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, users.map((u) => h('tr', { dataset: { username: u.username } },
        h('td', {}, u.username, u.is_admin ? h('span', { class: 'tag', text: 'admin' }) : null),
        h('td', { text: u.email || '' }),
        h('td', { class: 'size', text: size(u.usage.used_bytes) }),
        h('td', { class: 'size', text: size(u.usage.quota_bytes) }),
        h('td', { class: 'size', text: u.usage.file_count.toLocaleString() }),
        h('td', { text: u.disabled ? 'Disabled' : 'Active' }),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small', text: 'Quota…', 'aria-label': `Change quota of ${u.username}`, onclick: () => quota(u, patch) }),
          u.id === session.user.id ? null : h('button', { type: 'button', class: u.disabled ? 'small' : 'small danger', text: u.disabled ? 'Enable' : 'Disable',
            'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.username}`, onclick: () => patch(u, { disabled: !u.disabled }, `${u.username} ${u.disabled ? 'enabled' : 'disabled'}.`) }),
          u.id === session.user.id ? null : h('button', { type: 'button', class: 'small', text: u.is_admin ? 'Demote' : 'Promote',
            'aria-label': `${u.is_admin ? 'Demote' : 'Promote'} ${u.username}`, onclick: () => patch(u, { is_admin: !u.is_admin }, `${u.username} ${u.is_admin ? 'is no longer an admin' : 'is now an admin'}.`) })))))));
  }
  await draw();
  return root;
}

function quota(u, patch) {
  const form = h('form', { class: 'stack' },
    field('Quota (GiB)', h('input', { name: 'gib', type: 'number', min: 0, step: 'any', required: true, value: +(u.usage.quota_bytes / GIB).toFixed(3), autofocus: true })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Save' })));
  const dlg = dialog(`Quota of ${u.username}`, form);
  onSubmit(form, async (data) => {
    await patch(u, { quota_bytes: Math.round(Number(data.get('gib')) * GIB) }, `Quota of ${u.username} changed.`);
    dlg.close();
  });
}

/** A single-use invitation to register (needed where registration is `invite`). */
function invite() {
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack' },
    field('Valid for', h('select', { name: 'expires_in' },
      [['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days']].map(([v, t]) => h('option', { value: v, text: t, selected: v === '604800' })))),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Create invite' })));
  onSubmit(form, async (data) => {
    const { invite: inv } = await api('POST', '/api/v1/admin/invites', { expires_in: Number(data.get('expires_in')) });
    const link = `${location.origin}/#/signup/${encodeURIComponent(inv.code)}`;
    form.hidden = true;
    put(result, h('p', { text: `Send this link; it admits one account until ${new Date(inv.expires_at).toLocaleString()}. It is shown only now.` }),
      h('p', {}, h('input', { class: 'url', readonly: true, value: link, 'aria-label': 'Invitation link' }), ' ', copyButton(link, 'Copy link')));
  });
  dialog('Invite someone', h('div', {}, form, result), { wide: true });
}
