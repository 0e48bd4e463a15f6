// The trash: what was deleted, newest first, with Restore (to where it was, or, when
// that name is taken again, to a path the user chooses), Delete forever, and Empty.

import { api, all } from './api.js';
import { h, put, size, when, toast, dialog, field, onSubmit, confirmAction } from './dom.js';

export async function trashPage() {
  document.title = 'Trash · Nimbus';
  const root = h('section', { class: 'trash' });
  await draw(root);
  return root;
}

async function draw(root) {
  const items = await all('/api/v1/trash?limit=1000', 10000);
  const rows = items.map((t) => h('tr', { dataset: { path: t.path } },
    h('td', {}, h('span', { class: `kind ${t.kind}`, 'aria-hidden': 'true', text: t.kind === 'folder' ? '📁' : '📄' }), ' ', t.path),
    h('td', { class: 'size', text: t.kind === 'folder' ? `${size(t.size)} in ${t.file_count} file${t.file_count === 1 ? '' : 's'}` : size(t.size) }),
    h('td', { class: 'date', text: when(t.deleted_at) }),
    h('td', {},
      h('button', { type: 'button', class: 'small', text: 'Restore', 'aria-label': `Restore ${t.path}`, onclick: () => restore(root, t) }), ' ',
      h('button', { type: 'button', class: 'small danger', text: 'Delete forever', 'aria-label': `Delete ${t.path} forever`, onclick: async () => {
        if (!(await confirmAction('Delete forever', `Delete “${t.path}” forever? This cannot be undone.`, 'Delete forever'))) return;
        await api('DELETE', `/api/v1/trash/${t.id}`);
        toast('Deleted forever.');
        await draw(root);
      } }))));
  put(root,
    h('header', { class: 'page-head' },
      h('h1', { text: 'Trash' }),
      items.length ? h('button', { type: 'button', class: 'danger', text: 'Empty trash', onclick: async () => {
        if (!(await confirmAction('Empty trash', `Delete all ${items.length} item${items.length === 1 ? '' : 's'} in the trash forever? This cannot be undone.`, 'Empty trash'))) return;
        await api('DELETE', '/api/v1/trash');
        toast('Trash emptied.');
        await draw(root);
      } }) : null),
    h('p', { class: 'muted', text: 'Deleted files and folders stay here for a while, then go by themselves. They count towards your storage; when you run out of space the oldest go first.' }),
    items.length
      ? h('table', { class: 'listing' },
        h('thead', {}, h('tr', {}, ['Name', 'Size', 'Deleted', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows))
      : h('p', { class: 'empty', text: 'The trash is empty.' }));
}

async function restore(root, item) {
  try {
    await api('POST', `/api/v1/trash/${item.id}/restore`);
    toast(`Restored ${item.path}.`);
    await draw(root);
  } catch (err) {
    if (err.code !== 'path_exists') { toast(err.message, 'error'); return; }
    // Its place is taken: ask where to put it instead.
    const form = h('form', { class: 'stack' },
      h('p', { text: `Something named “${item.path}” is there now. Restore it under another name:` }),
      field('Restore to', h('input', { name: 'path', required: true, value: `${item.path} (restored)`, autofocus: true })),
      h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Restore' })));
    const dlg = dialog(`Restore ${item.path}`, form);
    onSubmit(form, async (data) => {
      await api('POST', `/api/v1/trash/${item.id}/restore`, { path: data.get('path').trim() });
      dlg.close();
      toast(`Restored as ${data.get('path').trim()}.`);
      await draw(root);
    });
  }
}
