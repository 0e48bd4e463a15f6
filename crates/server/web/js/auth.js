// Signing in, signing up, the forgotten-password flow and signing out.

import { api } from './api.js';
import { h, field, onSubmit, toast } from './dom.js';
import { signedIn, session, go } from './app.js';

function card(title, form, footer) {
  return h('section', { class: 'auth' },
    h('div', { class: 'auth-brand' }, h('img', { src: '/assets/icon.svg', alt: '', width: 48, height: 48 }), h('span', { text: 'Nimbus' })),
    h('h1', { text: title }), form, h('p', { class: 'auth-footer' }, footer));
}

function input(name, type = 'text', more = {}) {
  return h('input', { name, type, required: true, ...more });
}

export function signInPage() {
  // Shown only when the account asks for a second factor.
  const code = field('Code from your authenticator app (or a recovery code)', h('input', { name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric' }));
  code.hidden = true;
  const form = h('form', { class: 'stack', 'aria-label': 'Sign in' },
    field('Username or e-mail', input('username', 'text', { autocomplete: 'username', autofocus: true })),
    field('Password', input('password', 'password', { autocomplete: 'current-password' })),
    code,
    h('button', { type: 'submit', class: 'primary', text: 'Sign in' }));
  onSubmit(form, async (data) => {
    const body = { username: data.get('username').trim(), password: data.get('password') };
    if (!code.hidden && data.get('code').trim()) body.code = data.get('code').trim();
    try {
      const r = await api('POST', '/api/v1/auth/login', body, { quietAuth: true });
      signedIn(r.user);
    } catch (err) {
      if (err.code !== 'second_factor_required') throw err;
      code.hidden = false;
      form.elements.code.focus();
      throw new Error('Enter the code from your authenticator app.');
    }
  });
  return card('Sign in', form, [
    h('a', { href: '#/signup/', text: 'Create an account' }), ' · ', h('a', { href: '#/forgot/', text: 'Forgot your password?' })]);
}

/** `#/signup/<invite code>` arrives from an admin's invitation link. */
export function signUpPage(invite = '') {
  const form = h('form', { class: 'stack', 'aria-label': 'Create an account' },
    field('Username', input('username', 'text', { autocomplete: 'username', minlength: 3, maxlength: 32, pattern: '[A-Za-z0-9_.\\-]+', autofocus: true }),
      '3–32 letters, digits, _ . or -'),
    field('E-mail (for password resets)', h('input', { name: 'email', type: 'email', autocomplete: 'email' })),
    h('div', { class: 'row' },
      field('First name', h('input', { name: 'first_name', autocomplete: 'given-name' })),
      field('Last name', h('input', { name: 'last_name', autocomplete: 'family-name' }))),
    field('Password', input('password', 'password', { autocomplete: 'new-password', minlength: 8 }), 'At least 8 characters'),
    field('Invite code (if this server asks for one)', h('input', { name: 'invite', autocomplete: 'off', value: invite.replace(/\/$/, '') })),
    h('button', { type: 'submit', class: 'primary', text: 'Create account' }));
  onSubmit(form, async (data) => {
    const body = { username: data.get('username').trim(), password: data.get('password') };
    for (const k of ['email', 'first_name', 'last_name', 'invite']) if (data.get(k).trim()) body[k] = data.get(k).trim();
    await api('POST', '/api/v1/auth/register', body, { quietAuth: true });
    const r = await api('POST', '/api/v1/auth/login', { username: body.username, password: body.password }, { quietAuth: true });
    signedIn(r.user);
  });
  return card('Create your account', form, [h('a', { href: '#/signin/', text: 'I already have an account' })]);
}

export function forgotPage() {
  const ask = h('form', { class: 'stack', 'aria-label': 'Request a reset code' },
    h('p', { text: 'We will e-mail you a code to set a new password.' }),
    field('E-mail', input('email', 'email', { autocomplete: 'email', autofocus: true })),
    h('button', { type: 'submit', class: 'primary', text: 'Send the code' }));
  const confirm = h('form', { class: 'stack', 'aria-label': 'Set a new password', hidden: true },
    h('p', { text: 'If that address belongs to an account, a code is on its way. Enter it with your new password.' }),
    field('E-mail', input('email', 'email', { autocomplete: 'email' })),
    field('Code from the e-mail', input('code', 'text', { autocomplete: 'one-time-code', inputmode: 'numeric' })),
    field('New password', input('new_password', 'password', { autocomplete: 'new-password', minlength: 8 })),
    h('button', { type: 'submit', class: 'primary', text: 'Set the new password' }));
  onSubmit(ask, async (data) => {
    await api('POST', '/api/v1/auth/password-reset', { email: data.get('email').trim() }, { quietAuth: true });
    confirm.elements.email.value = data.get('email').trim();
    ask.hidden = true;
    confirm.hidden = false;
    confirm.elements.code.focus();
  });
  onSubmit(confirm, async (data) => {
    await api('POST', '/api/v1/auth/password-reset/confirm', {
      email: data.get('email').trim(), code: data.get('code').trim(), new_password: data.get('new_password'),
    }, { quietAuth: true });
    toast('Password changed. Sign in with the new one.');
    go('#/signin/');
  });
  return card('Forgot your password?', h('div', {}, ask, confirm), [h('a', { href: '#/signin/', text: 'Back to sign in' })]);
}

export async function signOut() {
  try { await api('POST', '/api/v1/auth/logout'); } catch { /* the session is gone either way */ }
  session.user = null;
  go('#/signin/');
}
