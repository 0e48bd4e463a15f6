// The app's entry: who is signed in, the navigation, and the router. Routes live in the
// URL's fragment (`#/files/photos`), so the server has one page to serve and a reload
// or a bookmark lands on the same view.

import { api, setUnauthorizedHandler } from './api.js';
import { h, put } from './dom.js';
import { signInPage, signUpPage, forgotPage, signOut } from './auth.js';
import { filesPage } from './files.js';
import { sharedPage } from './shared.js';
import { trashPage } from './trash.js';
import { messagesPage, refreshUnread } from './messages.js';
import { usagePage } from './usage.js';
import { settingsPage } from './settings.js';
import { adminPage } from './admin.js';

/** The signed-in user (`GET /api/v1/me`), or null. */
export const session = { user: null };

const PUBLIC = { signin: signInPage, signup: signUpPage, forgot: forgotPage };
const PAGES = {
  files: filesPage, shared: sharedPage, trash: trashPage, messages: messagesPage, usage: usagePage, settings: settingsPage, admin: adminPage,
};

/** `#/files/a/b` → `['files', 'a/b']`. */
function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const slash = hash.indexOf('/');
  return slash < 0 ? [hash, ''] : [hash.slice(0, slash), hash.slice(slash + 1)];
}

export function go(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

function navigation() {
  const [page] = route();
  const items = [
    ['files', 'Files'], ['shared', 'Shared with me'], ['trash', 'Trash'], ['messages', 'Messages'], ['usage', 'Usage'], ['settings', 'Settings'],
  ];
  if (session.user?.is_admin) items.push(['admin', 'Admin']);
  const links = items.map(([key, label]) => h('li', {},
    h('a', { href: `#/${key}/`, 'aria-current': page === key ? 'page' : undefined },
      label, key === 'messages' ? h('span', { class: 'badge', id: 'unread', hidden: true }) : null)));
  links.push(h('li', { class: 'me' },
    h('span', { class: 'who', text: session.user.username }),
    h('button', { type: 'button', class: 'small', text: 'Sign out', onclick: signOut })));
  put(document.getElementById('nav'), links);
}

let rendering = 0;
export async function render() {
  const ticket = ++rendering;
  const main = document.getElementById('main');
  const [page, rest] = route();
  if (!session.user && !PUBLIC[page]) {
    try {
      session.user = (await api('GET', '/api/v1/me', undefined, { quietAuth: true })).user;
    } catch {
      session.user = null;
    }
  }
  if (ticket !== rendering) return;
  const top = document.getElementById('top');
  if (!session.user) {
    top.hidden = true;
    put(main, (PUBLIC[page] || signInPage)(rest));
    document.title = 'Sign in · Nimbus';
    return;
  }
  if (PUBLIC[page]) { go('#/files/'); return; }
  top.hidden = false;
  navigation();
  refreshUnread();
  const view = PAGES[page] || filesPage;
  put(main, h('p', { class: 'loading', text: 'Loading…' }));
  try {
    const el = await view(page in PAGES ? rest : '');
    if (ticket === rendering) put(main, el);
  } catch (err) {
    if (ticket === rendering) put(main, h('p', { class: 'form-error', role: 'alert', text: err.message }));
  }
}

/** After sign-in or sign-up: remember the user and open the files. */
export function signedIn(user) {
  session.user = user;
  go('#/files/');
}

setUnauthorizedHandler(() => {
  if (!session.user) return;
  session.user = null;
  go('#/signin/');
});

// Active time: while the page is visible and used, report a minute at a time (the server
// never credits more than the wall-clock time since the previous report).
let lastInput = Date.now();
for (const ev of ['pointerdown', 'keydown', 'scroll']) addEventListener(ev, () => { lastInput = Date.now(); }, { passive: true });
setInterval(() => {
  if (session.user && document.visibilityState === 'visible' && Date.now() - lastInput < 120000) {
    api('POST', '/api/v1/me/activity', { seconds: 60 }).catch(() => {});
  }
}, 60000);

addEventListener('hashchange', render);
render();
