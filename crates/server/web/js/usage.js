// Usage: the quota bar, the 30-day chart of bytes moved (drawn as SVG here, no chart
// service), file count, active time, and choosing a plan.

import { api } from './api.js';
import { h, s, put, size, duration, toast, field, onSubmit } from './dom.js';

const GIB = 1024 ** 3;

export async function usagePage() {
  document.title = 'Usage · Nimbus';
  const { usage } = await api('GET', '/api/v1/me/usage');
  const root = h('section', { class: 'usage' });
  draw(root, usage);
  return root;
}

function draw(root, u) {
  const held = u.used_bytes + (u.versions_bytes || 0) + (u.trash_bytes || 0);
  const pct = u.quota_bytes ? Math.min(100, (held / u.quota_bytes) * 100) : 0;
  const plan = h('form', { class: 'inline', 'aria-label': 'Choose a plan' },
    field('Storage (GiB)', h('input', { name: 'gib', type: 'number', min: 0.001, step: 'any', required: true, value: +(u.quota_bytes / GIB).toFixed(3) })),
    h('button', { type: 'submit', class: 'primary', text: 'Change plan' }));
  onSubmit(plan, async (data) => {
    const { usage } = await api('PUT', '/api/v1/me/plan', { quota_bytes: Math.round(Number(data.get('gib')) * GIB) });
    toast('Plan changed.');
    draw(root, usage);
  });
  put(root,
    h('h1', { text: 'Usage' }),
    h('div', { class: 'quota' },
      h('p', {}, h('strong', { text: size(held) }), ` of ${size(u.quota_bytes)} used (${pct.toFixed(pct < 1 ? 2 : 0)}%)`),
      h('p', { class: 'muted', id: 'held' }, `Files ${size(u.used_bytes)} · earlier versions ${size(u.versions_bytes || 0)} · trash ${size(u.trash_bytes || 0)}. `,
        'Versions and trash are kept while there is room: when an upload needs the space, the oldest versions and then the oldest trash are removed first.'),
      h('progress', { max: 100, value: pct, 'aria-label': 'Storage used', class: pct > 90 ? 'full' : '' })),
    h('dl', { class: 'stats' },
      h('div', {}, h('dt', { text: 'Files' }), h('dd', { id: 'file-count', text: u.file_count.toLocaleString() })),
      h('div', {}, h('dt', { text: 'Uploaded' }), h('dd', { id: 'uploaded', text: size(u.uploaded_bytes) })),
      h('div', {}, h('dt', { text: 'Downloaded' }), h('dd', { id: 'downloaded', text: size(u.downloaded_bytes) })),
      h('div', {}, h('dt', { text: 'Active time' }), h('dd', { text: duration(u.active_seconds) }))),
    h('h2', { text: 'The last 30 days' }),
    chart(u.daily),
    h('h2', { text: 'Your plan' }),
    h('p', { class: 'muted', text: 'Choose how much storage you need. The server has a maximum per user; you cannot go below what you use.' }),
    plan);
}

/** Bars per day, uploads and downloads side by side, with a legend and a text table. */
function chart(daily) {
  const W = 720;
  const H = 220;
  const pad = { l: 56, r: 8, t: 12, b: 28 };
  const max = Math.max(1, ...daily.flatMap((d) => [d.uploaded_bytes, d.downloaded_bytes]));
  const slot = (W - pad.l - pad.r) / Math.max(1, daily.length);
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const bars = daily.flatMap((d, i) => {
    const x = pad.l + i * slot;
    return [
      s('rect', { class: 'up', x, y: y(d.uploaded_bytes), width: bar, height: H - pad.b - y(d.uploaded_bytes) }, s('title', { text: `${d.date}: ${size(d.uploaded_bytes)} uploaded` })),
      s('rect', { class: 'down', x: x + bar, y: y(d.downloaded_bytes), width: bar, height: H - pad.b - y(d.downloaded_bytes) }, s('title', { text: `${d.date}: ${size(d.downloaded_bytes)} downloaded` })),
    ];
  });
  const ticks = [0, 0.5, 1].map((f) => s('g', {},
    s('line', { class: 'grid', x1: pad.l, x2: W - pad.r, y1: y(max * f), y2: y(max * f) }),
    s('text', { x: pad.l - 6, y: y(max * f) + 4, 'text-anchor': 'end', text: size(max * f) })));
  const labels = daily.filter((_, i) => i % 7 === 0 || i === daily.length - 1).map((d) => {
    const i = daily.indexOf(d);
    return s('text', { x: pad.l + i * slot + bar, y: H - 8, 'text-anchor': 'middle', text: d.date.slice(5) });
  });
  const total = (k) => daily.reduce((a, d) => a + d[k], 0);
  return h('figure', { class: 'chart' },
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Bytes per day over 30 days: ${size(total('uploaded_bytes'))} uploaded, ${size(total('downloaded_bytes'))} downloaded` },
      ticks, bars, labels),
    h('figcaption', {}, h('span', { class: 'key up' }), ' Uploaded ', h('span', { class: 'key down' }), ' Downloaded'));
}
