// DOM helpers shared by every page: element building, formatting, dialogs and toasts.
// Everything is built with DOM calls (never innerHTML), so names and messages from the
// server cannot inject markup.

/** `h('a', {href: '#', class: 'x', onclick: f}, 'text', child)` → an element. */
export function h(tag, props = {}, ...children) {
  const el = tag === 'svg' || props.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false || k === 'svg') continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && !(el instanceof SVGElement) && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An SVG element (namespaced). */
export function s(tag, props = {}, ...children) {
  return h(tag, { ...props, svg: true }, ...children);
}

/** Replaces an element's children. */
export function put(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
/** `1536` → `1.5 KiB`. */
export function size(n) {
  let v = Number(n) || 0;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${v} ${v === 1 ? 'byte' : 'bytes'}` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

// Made once: building an Intl formatter per call costs more than the formatting, and a
// listing formats a date per row.
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const DATE = new Intl.DateTimeFormat([], { year: 'numeric', month: 'short', day: 'numeric' });

/** A date for people: today's times as times, older ones as dates. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? TIME.format(d) : DATE.format(d);
}

export function duration(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min`;
}

/** A short message at the bottom of the screen; errors stay longer and are announced. */
export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : undefined }, text);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 3500);
}

/**
 * A modal dialog (native <dialog>: focus stays inside, Escape closes it). `body` is an
 * element or a list; `actions` are buttons. Resolves when it closes.
 */
export function dialog(title, body, { actions = [], wide = false } = {}) {
  const id = `dlg-${Math.random().toString(36).slice(2)}`;
  const close = h('button', { class: 'icon close', type: 'button', 'aria-label': 'Close', text: '×' });
  const d = h('dialog', { class: wide ? 'wide' : '', 'aria-labelledby': id },
    h('header', {}, h('h2', { id, text: title }), close),
    h('div', { class: 'dialog-body' }, body),
    actions.length ? h('footer', {}, actions) : null);
  close.addEventListener('click', () => d.close());
  document.body.append(d);
  d.showModal();
  return {
    el: d,
    close: () => d.close(),
    closed: new Promise((resolve) => d.addEventListener('close', () => { d.remove(); resolve(); })),
  };
}

/** Asks a yes/no question; resolves to true for yes. */
export function confirmAction(title, text, yes = 'Delete') {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h('button', { class: 'danger', type: 'button', text: yes, onclick: () => { answer = true; dlg.close(); } });
    const no = h('button', { type: 'button', text: 'Cancel', onclick: () => dlg.close() });
    const dlg = dialog(title, h('p', { text }), { actions: [no, ok] });
    dlg.closed.then(() => resolve(answer));
  });
}

/** A button that copies `text` to the clipboard. */
export function copyButton(text, label = 'Copy') {
  return h('button', {
    type: 'button', class: 'small', text: label,
    onclick: async () => {
      try { await navigator.clipboard.writeText(text); toast('Copied.'); } catch { toast('Copy failed: select the text and copy it.', 'error'); }
    },
  });
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hint ? h('small', { text: hint }) : null);
}

/** Shows an error inside a form (announced to screen readers). */
export function formError(form, err) {
  let box = form.querySelector('.form-error');
  if (!box && !err) return;
  if (!box) { box = h('p', { class: 'form-error', role: 'alert' }); form.prepend(box); }
  box.textContent = err ? err.message || String(err) : '';
  box.hidden = !err;
  for (const [name, problem] of Object.entries(err?.fields || {})) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) { input.setAttribute('aria-invalid', 'true'); box.textContent += ` ${name}: ${problem}.`; }
  }
}

/** Runs a form's async submit handler with its buttons disabled and errors shown. */
export function onSubmit(form, handler) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try { await handler(new FormData(form)); } catch (err) { formError(form, err); } finally { buttons.forEach((b) => { b.disabled = false; }); }
  });
  return form;
}
