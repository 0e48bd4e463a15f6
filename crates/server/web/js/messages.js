// Messages between users: inbox and sent, compose (with an attachment from your files),
// reading marks a message read, and the unread count in the navigation.

import { api, all } from './api.js';
import { h, put, when, size, toast, dialog, field, onSubmit } from './dom.js';
import { go } from './app.js';

/** Updates the unread badge in the navigation. */
export async function refreshUnread() {
  try {
    const { count } = await api('GET', '/api/v1/messages/unread');
    const badge = document.getElementById('unread');
    if (!badge) return;
    badge.textContent = count > 99 ? '99+' : String(count);
    badge.hidden = count === 0;
    badge.setAttribute('aria-label', `${count} unread`);
  } catch { /* the badge is a convenience */ }
}

export async function messagesPage(rest) {
  document.title = 'Messages · Nimbus';
  const box = rest.startsWith('sent') ? 'sent' : 'inbox';
  const items = await all(`/api/v1/messages?box=${box}&limit=100`, 500);
  const list = h('ul', { class: 'messages' }, items.map((m) => message(m, box)));
  return h('section', {},
    h('div', { class: 'page-head' }, h('h1', { text: 'Messages' }),
      h('button', { type: 'button', class: 'primary', text: 'New message', onclick: compose })),
    h('nav', { class: 'tabs', 'aria-label': 'Mailboxes' },
      h('a', { href: '#/messages/inbox', 'aria-current': box === 'inbox' ? 'page' : undefined, text: 'Inbox' }),
      h('a', { href: '#/messages/sent', 'aria-current': box === 'sent' ? 'page' : undefined, text: 'Sent' })),
    items.length ? list : h('p', { class: 'empty', text: box === 'inbox' ? 'No messages yet.' : 'You have not sent any messages.' }));
}

function message(m, box) {
  const unread = box === 'inbox' && !m.read_at;
  const other = box === 'inbox' ? `From ${m.from.username}` : `To ${m.to.username}`;
  const text = h('div', { class: 'message-text', hidden: true },
    m.text ? h('p', { text: m.text }) : null,
    m.file ? h('p', {}, 'Attachment: ', h('a', { href: `/api/v1/files/${m.file.id}/content`, download: m.file.name, text: m.file.name }), ` (${size(m.file.size)})`) : null);
  const li = h('li', { class: unread ? 'unread' : '', dataset: { id: m.id } });
  const toggle = h('button', { type: 'button', class: 'message-head', 'aria-expanded': 'false', onclick: async () => {
    const open = text.hidden;
    text.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open && li.classList.contains('unread')) {
      try { await api('POST', `/api/v1/messages/${m.id}/read`); li.classList.remove('unread'); refreshUnread(); } catch (e) { toast(e.message, 'error'); }
    }
  } },
  h('span', { class: 'who', text: other }),
  h('span', { class: 'preview', text: m.text ? m.text.slice(0, 80) : (m.file ? `📎 ${m.file.name}` : '') }),
  h('span', { class: 'muted', text: when(m.created_at) }),
  unread ? h('span', { class: 'tag', text: 'new' }) : null);
  li.append(toggle, text);
  return li;
}

async function compose() {
  const files = await all('/api/v1/files?limit=1000', 2000).catch(() => []);
  const form = h('form', { class: 'stack' },
    field('To (username)', h('input', { name: 'to', required: true, autocomplete: 'off', autofocus: true })),
    field('Message', h('textarea', { name: 'text', rows: 5, maxlength: 10000 })),
    field('Attach one of your files', h('select', { name: 'file_id' }, h('option', { value: '', text: 'No attachment' }),
      files.map((f) => h('option', { value: f.id, text: `${f.path} (${size(f.size)})` }))), 'The recipient can download it; it stays yours.'),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Send' })));
  const dlg = dialog('New message', form, { wide: true });
  onSubmit(form, async (data) => {
    const body = { to: data.get('to').trim() };
    if (data.get('text').trim()) body.text = data.get('text');
    if (data.get('file_id')) body.file_id = data.get('file_id');
    await api('POST', '/api/v1/messages', body);
    dlg.close();
    toast('Sent.');
    go('#/messages/sent');
  });
}
