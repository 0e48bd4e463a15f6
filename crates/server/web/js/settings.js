// Settings: profile and avatar, password, devices, app passwords, S3 access keys, your
// own S3 bucket, and deleting the account.

import { api } from './api.js';
import { h, put, when, toast, dialog, copyButton, field, onSubmit, confirmAction } from './dom.js';
import { session, go } from './app.js';

export async function settingsPage() {
  document.title = 'Settings · Nimbus';
  const root = h('section', { class: 'settings' }, h('h1', { text: 'Settings' }));
  root.append(profile(), avatar(), password(), await twoFactor(), await sessions(),
    await credentials('Devices', '/api/v1/me/devices', 'device', 'secret', [['name', 'Device name'], ['peer_id', 'Peer id']],
      'A device signs in with its secret (POST /api/v1/auth/device). Removing it signs it out at once.'),
    await credentials('App passwords', '/api/v1/me/app-passwords', 'app_password', 'password', [['name', 'Name']],
      'For WebDAV clients and the command line: use it instead of your password. Removing it stops it at once.'),
    await credentials('S3 access keys', '/api/v1/me/access-keys', 'access_key', 'secret_access_key', [['name', 'Name']],
      'For S3 tools (aws, rclone, s3cmd): your buckets are your top-level folders.'),
    await storage(), deleteAccount());
  return root;
}

function section(title, ...content) {
  return h('section', { class: 'card-section', 'aria-label': title }, h('h2', { text: title }), content);
}

function profile() {
  const u = session.user;
  const form = h('form', { class: 'stack' },
    h('div', { class: 'row' },
      field('First name', h('input', { name: 'first_name', value: u.first_name || '', autocomplete: 'given-name' })),
      field('Last name', h('input', { name: 'last_name', value: u.last_name || '', autocomplete: 'family-name' }))),
    field('Username', h('input', { name: 'username', value: u.username, required: true, autocomplete: 'username' })),
    field('E-mail', h('input', { name: 'email', type: 'email', value: u.email || '', autocomplete: 'email' })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Save profile' })));
  onSubmit(form, async (data) => {
    const body = { username: data.get('username').trim(), first_name: data.get('first_name').trim(), last_name: data.get('last_name').trim() };
    if (data.get('email').trim()) body.email = data.get('email').trim();
    session.user = (await api('PATCH', '/api/v1/me', body)).user;
    toast('Profile saved.');
    document.querySelector('#nav .who').textContent = session.user.username;
  });
  return section('Profile', form);
}

function avatar() {
  const u = session.user;
  const img = h('img', { class: 'avatar', alt: 'Your avatar', width: 96, height: 96, src: u.avatar_url || '/assets/icon.svg' });
  const input = h('input', { type: 'file', name: 'avatar', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  let preview;
  input.addEventListener('change', () => {
    if (preview) URL.revokeObjectURL(preview);
    if (input.files[0]) { preview = URL.createObjectURL(input.files[0]); img.src = preview; }
  });
  const form = h('form', { class: 'stack' }, h('div', { class: 'avatar-row' }, img, field('Picture (PNG, JPEG, GIF or WebP, up to 5 MiB)', input)),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Upload picture' }),
      h('button', { type: 'button', text: 'Remove picture', onclick: async () => {
        await api('DELETE', '/api/v1/me/avatar'); img.src = '/assets/icon.svg'; toast('Picture removed.');
      } })));
  onSubmit(form, async () => {
    if (!input.files[0]) throw new Error('Choose a picture first.');
    await api('PUT', '/api/v1/me/avatar', input.files[0]);
    session.user = (await api('GET', '/api/v1/me')).user;
    toast('Picture saved.');
  });
  return section('Picture', form);
}

function password() {
  const form = h('form', { class: 'stack' },
    field('Current password', h('input', { name: 'current_password', type: 'password', required: true, autocomplete: 'current-password' })),
    field('New password', h('input', { name: 'new_password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' })),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Change password' })));
  onSubmit(form, async (data) => {
    await api('PUT', '/api/v1/me/password', { current_password: data.get('current_password'), new_password: data.get('new_password') });
    form.reset();
    toast('Password changed. Your other sessions were signed out.');
  });
  return section('Password', form);
}

/** Two-factor sign-in: set up with an authenticator app, or turn off. */
async function twoFactor() {
  const box = h('div', {});
  async function draw() {
    const { enabled } = await api('GET', '/api/v1/me/2fa');
    if (enabled) {
      const off = h('form', { class: 'stack' },
        h('p', { text: 'On: signing in with your password also needs a code from your app.' }),
        h('div', { class: 'row' },
          field('Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
          field('Code (or a recovery code)', h('input', { name: 'code', required: true, autocomplete: 'one-time-code' }))),
        h('footer', {}, h('button', { type: 'submit', class: 'danger', text: 'Turn off' })));
      onSubmit(off, async (data) => {
        await api('DELETE', '/api/v1/me/2fa', { password: data.get('password'), code: data.get('code').trim() });
        toast('Two-factor sign-in is off.');
        await draw();
      });
      put(box, off);
      return;
    }
    const start = h('button', { type: 'button', class: 'primary', text: 'Set up two-factor sign-in', onclick: async () => {
      const setup = await api('POST', '/api/v1/me/2fa');
      const confirm = h('form', { class: 'stack' },
        h('p', { text: 'Scan the QR code with your authenticator app (or type in the key), then enter the code it shows.' }),
        h('img', { class: 'qr', src: `/api/v1/me/2fa/qr?t=${Date.now()}`, alt: 'QR code of the key, for your authenticator app', width: 220, height: 220 }),
        h('p', {}, 'Key: ', h('code', { class: 'hash', id: 'totp-secret', text: setup.secret }), ' ', copyButton(setup.secret, 'Copy key')),
        h('p', {}, h('input', { class: 'url', readonly: true, value: setup.otpauth_uri, 'aria-label': 'otpauth link' }), ' ', copyButton(setup.otpauth_uri, 'Copy link')),
        field('Code from the app', h('input', { name: 'code', required: true, autocomplete: 'one-time-code', inputmode: 'numeric' })),
        h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Turn on' })));
      onSubmit(confirm, async (data) => {
        const { recovery_codes: codes } = await api('POST', '/api/v1/me/2fa/confirm', { code: data.get('code').trim() });
        put(box, h('p', { text: 'On. Keep these recovery codes somewhere safe: each signs you in once if you lose the app. They are shown only now.' }),
          h('ul', { class: 'plain recovery-codes' }, codes.map((c) => h('li', {}, h('code', { text: c })))),
          copyButton(codes.join('\n'), 'Copy all codes'));
      });
      put(box, confirm);
    } });
    put(box, h('p', { class: 'muted', text: 'Off. With it on, a stolen password alone cannot sign in.' }), start);
  }
  await draw();
  return section('Two-factor sign-in', box);
}

/** Where the account is signed in; any of it can be ended at once. */
async function sessions() {
  const list = h('div', {});
  const KIND = { browser: 'Browser', token: 'Token', device: 'Device' };
  async function draw() {
    const items = (await api('GET', '/api/v1/me/sessions')).items;
    put(list, h('ul', { class: 'plain sessions' }, items.map((x) => h('li', { dataset: { kind: x.kind } },
      h('strong', { text: KIND[x.kind] || x.kind }), x.current ? h('span', { class: 'tag', text: 'this one' }) : null,
      h('span', { class: 'muted', text: ` ${x.user_agent ? x.user_agent.slice(0, 60) : 'unknown program'} · ${x.client_address || ''} · since ${when(x.created_at)}${x.last_used_at ? ` · last used ${when(x.last_used_at)}` : ''}` }), ' ',
      x.current ? null : h('button', { type: 'button', class: 'small danger', text: 'End', 'aria-label': `End the ${KIND[x.kind] || x.kind} session from ${when(x.created_at)}`, onclick: async () => {
        await api('DELETE', `/api/v1/me/sessions/${x.id}`); toast('Session ended.'); draw();
      } })))));
  }
  await draw();
  const everywhere = h('button', { type: 'button', text: 'Sign out everywhere else', onclick: async () => {
    await api('DELETE', '/api/v1/me/sessions'); toast('Every other session ended.'); draw();
  } });
  return section('Where you are signed in', list, h('footer', {}, everywhere));
}

/** A list of named credentials whose secret is shown once, at creation. */
async function credentials(title, path, kind, secretKey, inputs, about) {
  const list = h('div', {});
  async function draw() {
    const items = (await api('GET', path)).items;
    put(list, items.length ? h('ul', { class: 'plain credentials' }, items.map((c) => h('li', {},
      h('strong', { text: c.name }), c.peer_id ? h('span', { class: 'muted', text: ` ${c.peer_id}` }) : null,
      c.access_key_id ? h('code', { text: ` ${c.access_key_id}` }) : null,
      h('span', { class: 'muted', text: ` · added ${when(c.created_at)}${c.last_used_at || c.last_seen_at ? ` · last used ${when(c.last_used_at || c.last_seen_at)}` : ''}` }), ' ',
      h('button', { type: 'button', class: 'small danger', text: 'Remove', 'aria-label': `Remove ${c.name}`, onclick: async () => {
        if (!(await confirmAction(`Remove ${c.name}`, `${c.name} stops working at once.`, 'Remove'))) return;
        await api('DELETE', `${path}/${c.id}`); toast('Removed.'); draw();
      } })))) : h('p', { class: 'muted', text: 'None yet.' }));
  }
  const form = h('form', { class: 'inline' }, inputs.map(([name, label]) => field(label, h('input', { name, required: true, maxlength: 100 }))),
    h('button', { type: 'submit', text: 'Add' }));
  onSubmit(form, async (data) => {
    const body = Object.fromEntries(inputs.map(([name]) => [name, data.get(name).trim()]));
    const created = (await api('POST', path, body))[kind];
    form.reset();
    const secret = created[secretKey];
    dialog('Copy it now', h('div', { class: 'stack' },
      h('p', { text: 'This secret is shown only once. Store it where the device or tool can use it.' }),
      created.access_key_id ? h('p', {}, 'Access key id: ', h('code', { text: created.access_key_id }), ' ', copyButton(created.access_key_id, 'Copy key id')) : null,
      h('p', {}, h('input', { class: 'url secret', readonly: true, value: secret, 'aria-label': 'Secret' }), ' ', copyButton(secret, 'Copy secret'))));
    await draw();
  });
  await draw();
  return section(title, h('p', { class: 'muted', text: about }), list, form);
}

async function storage() {
  let current = null;
  try { current = (await api('GET', '/api/v1/me/storage')).storage; } catch (e) { if (e.status !== 404) throw e; }
  const f = (name, label, more = {}) => field(label, h('input', { name, required: !['prefix'].includes(name), value: current?.[name] || '', ...more }));
  const form = h('form', { class: 'stack' },
    h('p', { class: 'muted', text: current ? `New uploads go to the bucket ${current.bucket}.` : 'New uploads go to the server’s own storage. Set a bucket to keep your files in your own S3-compatible storage.' }),
    h('div', { class: 'row' }, f('endpoint', 'Endpoint URL', { type: 'url' }), f('region', 'Region')),
    h('div', { class: 'row' }, f('bucket', 'Bucket'), f('prefix', 'Prefix (optional)')),
    h('div', { class: 'row' }, f('access_key_id', 'Access key id'), field('Secret access key', h('input', { name: 'secret_access_key', type: 'password', required: true, autocomplete: 'off' }))),
    h('footer', {}, h('button', { type: 'submit', class: 'primary', text: 'Save bucket' }),
      current ? h('button', { type: 'button', class: 'danger', text: 'Stop using it', onclick: async () => {
        try { await api('DELETE', '/api/v1/me/storage'); toast('Bucket removed.'); go('#/settings/'); } catch (e) { toast(e.message, 'error'); }
      } }) : null));
  onSubmit(form, async (data) => {
    const body = { type: 's3' };
    for (const k of ['endpoint', 'region', 'bucket', 'access_key_id', 'secret_access_key', 'prefix']) if (data.get(k)) body[k] = data.get(k).trim();
    await api('PUT', '/api/v1/me/storage', body);
    toast('Bucket saved: new uploads go there.');
  });
  return section('Your own bucket', form);
}

function deleteAccount() {
  const form = h('form', { class: 'stack' },
    h('p', { text: 'Deletes your account with all your files, shares, links and messages. This cannot be undone.' }),
    field('Your password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    h('footer', {}, h('button', { type: 'submit', class: 'danger', text: 'Delete my account' })));
  onSubmit(form, async (data) => {
    if (!(await confirmAction('Delete your account', 'Everything you stored here will be gone.', 'Delete everything'))) return;
    await api('DELETE', '/api/v1/me', { password: data.get('password') });
    session.user = null;
    go('#/signin/');
  });
  return section('Delete account', form);
}
