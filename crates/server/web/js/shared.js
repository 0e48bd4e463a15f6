// "Shared with me": files other users shared with the signed-in user.

import { all } from './api.js';
import { h, size, when } from './dom.js';
import { showDetails } from './file_dialogs.js';

export async function sharedPage() {
  document.title = 'Shared with me · Nimbus';
  const files = await all('/api/v1/shared?limit=1000', 10000);
  const rows = files.map((f) => h('tr', { dataset: { path: f.path } },
    h('td', {}, h('button', { type: 'button', class: 'link name', text: f.name, onclick: () => showDetails(f) })),
    h('td', { text: f.owner.username }),
    h('td', { class: 'size', text: size(f.size) }),
    h('td', { class: 'date', text: when(f.modified_at) }),
    h('td', {}, h('a', { class: 'button small', href: `/api/v1/files/${f.id}/content`, download: f.name, text: 'Download', 'aria-label': `Download ${f.name}` }))));
  return h('section', { class: 'shared' },
    h('h1', { text: 'Shared with me' }),
    files.length
      ? h('table', { class: 'listing' },
        h('thead', {}, h('tr', {}, ['Name', 'From', 'Size', 'Modified', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows))
      : h('p', { class: 'empty', text: 'Nothing has been shared with you yet.' }));
}
