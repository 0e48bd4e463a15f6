// End-to-end test of the Nimbus web app in a real browser (Debian's Chromium, driven by
// playwright-core). Run by crates/server/tests/it/web_app.rs against a real server:
//   node e2e.mjs <base-url> <screenshot-dir>
// Each step throws on a failure; the last line printed is a JSON report.

import { chromium } from 'playwright-core';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'correct horse battery';
const MIB = 1 << 20;
const report = { steps: [], figures: {}, accessibility: {} };
const problems = [];

/** The bytes of a test file, made the same way here and in the page. */
function bytes(n, seed) {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 31 + seed + (i >> 13)) & 255;
  return a;
}
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** What an authenticator app shows for a base32 secret at a 30-second step (RFC 6238). */
function totp(secretB32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const d = createHmac('sha1', key).update(msg).digest();
  const o = d[19] & 0xf;
  return String((d.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 30000);

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function step(name, f) {
  const t = Date.now();
  try {
    await f();
    report.steps.push({ name, ms: Date.now() - t });
  } catch (e) {
    e.message = `${name}: ${e.message}`;
    throw e;
  }
}

const browser = await chromium.launch({
  executablePath: process.env.NIMBUS_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking'],
});

async function newPage(options = {}) {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 }, ...options });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of (401|403|404|409|413|415|422|507)/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  return page;
}

/** axe-core over the current page: serious and critical WCAG 2 A/AA violations. */
async function audit(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  report.accessibility[name] = result.length;
  if (result.length) problems.push(`accessibility of ${name}: ${result.join('; ')}`);
}

async function signUp(page, username) {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('E-mail (for password resets)').fill(`${username}@example.org`);
  await page.getByLabel('First name').fill(username[0].toUpperCase() + username.slice(1));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'My files' }).waitFor();
}

/** Drops files made in the page onto the file list, as a drag from the desktop would. */
async function drop(page, specs) {
  const dt = await page.evaluateHandle(async (specs) => {
    const dt = new DataTransfer();
    for (const s of specs) {
      let blob;
      if (s.png) {
        const c = new OffscreenCanvas(640, 400);
        const g = c.getContext('2d');
        const grad = g.createLinearGradient(0, 0, 640, 400);
        grad.addColorStop(0, '#2457d6');
        grad.addColorStop(1, '#f4b63f');
        g.fillStyle = grad;
        g.fillRect(0, 0, 640, 400);
        blob = await c.convertToBlob({ type: 'image/png' });
      } else if (s.text) {
        blob = new Blob([s.text], { type: 'text/plain' });
      } else {
        const a = new Uint8Array(s.size);
        for (let i = 0; i < s.size; i++) a[i] = (i * 31 + s.seed + (i >> 13)) & 255;
        blob = new Blob([a], { type: 'application/octet-stream' });
      }
      // A fixed modification time: choosing "the same file" again after a reload matches.
      dt.items.add(new File([blob], s.name, { type: blob.type, lastModified: 1700000000000 }));
    }
    return dt;
  }, specs);
  await page.dispatchEvent('section.files', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('section.files', 'drop', { dataTransfer: dt });
}

async function apiFrom(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('nimbus_csrf='))?.slice(12) || '';
    const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token }, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.text() };
  }, { method, path, body });
}

const BIG = { name: 'big.bin', size: 50 * MIB, seed: 7 };
const bigSha = sha256(bytes(BIG.size, BIG.seed));
const SMALL_TEXT = 'Notes for the meeting.\nNimbus keeps them.\n';

try {
  const alice = await newPage();
  const bob = await newPage();

  await step('sign-in page is accessible', async () => {
    await alice.goto(`${base}/`);
    await alice.getByRole('button', { name: 'Sign in' }).waitFor();
    await audit(alice, 'sign in');
    await alice.screenshot({ path: `${shots}/sign-in.png` });
  });

  await step('two users sign up', async () => {
    await signUp(alice, 'alice'); // the first account: an admin
    await signUp(bob, 'bob');
  });

  await step('a wrong password is a readable message', async () => {
    const p = await newPage();
    await p.goto(`${base}/`);
    await p.getByLabel('Username or e-mail').fill('alice@example.org');
    await p.getByLabel('Password', { exact: true }).fill('not the password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    const msg = await p.locator('.form-error:not([hidden])').textContent();
    check(/wrong/i.test(msg) && !msg.includes('{'), `message: ${msg}`);
    await p.context().close();
  });

  await step('three files dropped, each with its own progress', async () => {
    // Every value the big file's progress bar takes, as the page sets it.
    await alice.evaluate(() => {
      window.__seen = new Set();
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.target.matches?.('#upload-list li[data-name="big.bin"] progress')) window.__seen.add(Number(r.target.getAttribute('value')));
        }
      }).observe(document.getElementById('uploads'), { subtree: true, attributes: true, attributeFilter: ['value'] });
    });
    await drop(alice, [{ name: 'notes.txt', text: SMALL_TEXT }, { name: 'photo.png', png: true }, BIG]);
    for (const n of ['notes.txt', 'photo.png', 'big.bin']) {
      await alice.waitForSelector(`#upload-list li.done[data-name="${n}"]`, { timeout: 120000, state: 'attached' });
    }
    const seen = await alice.evaluate(() => [...window.__seen].filter((v) => v > 0 && v < 50 * 1024 * 1024).length);
    report.figures.progress_values_seen_for_50_mib = seen;
    check(seen >= 3, `progress moved through ${seen} values`);
    const speed = await alice.locator('#upload-list li[data-name="big.bin"] .upload-status').textContent();
    check(/Done/.test(speed), speed);
    await alice.locator('table.listing tr[data-path="big.bin"]').waitFor();
    await alice.getByRole('button', { name: /Uploads: 3 done/ }).click(); // fold the panel
    await alice.screenshot({ path: `${shots}/files.png` });
  });

  await step('new folder, move a file into it', async () => {
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Folder name').fill('Documents');
    await alice.getByRole('button', { name: 'Create' }).click();
    await alice.locator('tr[data-path="Documents"]').waitFor();
    // The same name again: a readable refusal, not JSON.
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Folder name').fill('Documents');
    await alice.getByRole('button', { name: 'Create' }).click();
    const msg = await alice.locator('dialog .form-error:not([hidden])').textContent();
    check(/already there/.test(msg) && !msg.includes('{'), `message: ${msg}`);
    await alice.keyboard.press('Escape');
    await alice.getByLabel('Select notes.txt').check();
    await alice.getByRole('button', { name: 'Move…' }).click();
    await alice.locator('dialog').getByRole('button', { name: /Documents/ }).click();
    await alice.getByRole('button', { name: 'Choose “Documents”' }).click();
    await alice.locator('tr[data-path="notes.txt"]').waitFor({ state: 'detached' });
    await alice.locator('tr[data-path="Documents"] button.name').click();
    await alice.locator('tr[data-path="Documents/notes.txt"]').waitFor();
    await alice.getByRole('link', { name: 'My files' }).click();
    await alice.locator('tr[data-path="big.bin"]').waitFor();
  });

  await step('a whole folder uploads with its structure, and downloads as a zip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-web-'));
    const album = join(dir, 'Album');
    mkdirSync(join(album, 'Day 2'), { recursive: true });
    writeFileSync(join(album, 'readme.txt'), 'an album');
    writeFileSync(join(album, 'Day 2', 'beach.txt'), 'sand');
    await alice.setInputFiles('#pick-folder', album);
    await alice.waitForSelector('#upload-list li.done[data-name="beach.txt"]', { state: 'attached' });
    await alice.waitForSelector('#upload-list li.done[data-name="readme.txt"]', { state: 'attached' });
    await alice.locator('tr[data-path="Album"]').waitFor();
    await alice.getByLabel('Select Album').check();
    const [download] = await Promise.all([alice.waitForEvent('download'), alice.locator('.selection').getByRole('button', { name: 'Download' }).click()]);
    check(download.suggestedFilename() === 'Album.zip', download.suggestedFilename());
    const zipPath = join(dir, 'Album.zip');
    await download.saveAs(zipPath);
    // Python's zipfile checks every CRC and lists the names.
    const names = execFileSync('python3', ['-c', 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print("\\n".join(sorted(z.namelist())))', zipPath], { encoding: 'utf8' }).trim().split('\n');
    check(JSON.stringify(names) === JSON.stringify(['Album/', 'Album/Day 2/beach.txt', 'Album/readme.txt']), `zip holds ${names}`);
    await alice.getByRole('button', { name: 'Clear', exact: true }).click();
    await alice.getByRole('button', { name: 'Clear finished' }).click();
    await alice.locator('#uploads').waitFor({ state: 'hidden' });
  });

  await step('search by name', async () => {
    await alice.getByLabel('Search by name').fill('NOTES');
    await alice.getByRole('button', { name: 'Search' }).click();
    await alice.locator('tr[data-path="Documents/notes.txt"]').waitFor();
    check(await alice.locator('tbody tr').count() === 1, 'one result');
    await alice.getByLabel('Search by name').fill('');
    await alice.getByRole('button', { name: 'Search' }).click();
    await alice.locator('tr[data-path="big.bin"]').waitFor();
  });

  await step('grid view shows a server-made thumbnail', async () => {
    await alice.getByRole('button', { name: 'Grid' }).click();
    const img = alice.locator('li.card[data-path="photo.png"] img');
    await img.waitFor();
    await alice.waitForFunction(() => {
      const i = document.querySelector('li.card[data-path="photo.png"] img');
      return i && i.complete && i.naturalWidth > 0;
    });
    const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
    check(size[0] === 256 && size[1] === 160, `thumbnail is ${size}`);
    await alice.screenshot({ path: `${shots}/files-grid.png` });
    await alice.getByRole('button', { name: 'List' }).click();
  });

  await step('details panel: hashes, CID, CAR', async () => {
    await alice.locator('tr[data-path="big.bin"] button.name').click();
    const dlg = alice.locator('dialog[open]');
    await dlg.getByText(bigSha).waitFor();
    check(await dlg.getByText(/^bafy/).count() === 1, 'a CID is shown');
    check(await dlg.getByRole('link', { name: 'Download the CAR export' }).count() === 1, 'CAR link');
    await audit(alice, 'details');
  });

  await step('share with bob (suggested while typing)', async () => {
    const dlg = alice.locator('dialog[open]');
    await dlg.getByRole('button', { name: 'Share…' }).click();
    const share = alice.locator('dialog[open]').last();
    await share.getByLabel('Username', { exact: true }).pressSequentially('bo');
    await alice.waitForFunction(() => [...document.querySelectorAll('#user-suggestions option')].some((o) => o.value === 'bob'));
    await share.getByLabel('Username', { exact: true }).fill('bob');
    await share.getByRole('button', { name: 'Share', exact: true }).click();
    await share.locator('.recipients li', { hasText: 'bob' }).waitFor();
    await alice.screenshot({ path: `${shots}/sharing.png` });
    await audit(alice, 'sharing dialog');
    await alice.keyboard.press('Escape');
    await alice.keyboard.press('Escape');
  });

  await step('bob sees it under Shared with me and downloads it byte-exact', async () => {
    await bob.getByRole('link', { name: 'Shared with me' }).click();
    await bob.locator('tr[data-path="big.bin"]').waitFor();
    const [download] = await Promise.all([
      bob.waitForEvent('download'),
      bob.getByRole('link', { name: 'Download big.bin' }).click(),
    ]);
    const got = readFileSync(await download.path());
    check(got.length === BIG.size && sha256(got) === bigSha, `downloaded ${got.length} bytes, sha ${sha256(got)}`);
  });

  let linkUrl;
  await step('a password-protected link', async () => {
    await alice.getByRole('button', { name: 'Documents' }).first().click();
    await alice.locator('tr[data-path="Documents/notes.txt"] button.name').click();
    await alice.locator('dialog[open]').getByRole('button', { name: 'Public link…' }).click();
    const dlg = alice.locator('dialog[open]').last();
    await dlg.getByLabel('Password (optional)').fill('open sesame');
    await dlg.getByLabel('Expires').selectOption('86400');
    await dlg.getByRole('button', { name: 'Create link' }).click();
    linkUrl = await dlg.getByLabel('Public link').inputValue();
    check(linkUrl.startsWith(base) && linkUrl.includes('/s/'), linkUrl);
    await alice.keyboard.press('Escape');
    await alice.locator('dialog[open] .links li').waitFor();
    await alice.keyboard.press('Escape');
  });

  await step('a fresh browser opens the link with the password', async () => {
    const stranger = await newPage();
    await stranger.goto(linkUrl);
    await stranger.getByRole('heading', { name: 'notes.txt' }).waitFor();
    await audit(stranger, 'public link page');
    await stranger.screenshot({ path: `${shots}/public-link.png` });
    await stranger.getByLabel(/Password/).fill('wrong');
    await stranger.getByRole('button', { name: 'Download' }).click();
    await stranger.getByText('Wrong password.').waitFor();
    await stranger.getByLabel(/Password/).fill('open sesame');
    const [download] = await Promise.all([stranger.waitForEvent('download'), stranger.getByRole('button', { name: 'Download' }).click()]);
    const got = readFileSync(await download.path(), 'utf8');
    check(got === SMALL_TEXT, `link download: ${JSON.stringify(got)}`);
    await stranger.context().close();
  });

  await step('a message with an attachment; unread count; read', async () => {
    await alice.getByRole('link', { name: 'Messages' }).click();
    await alice.getByRole('button', { name: 'New message' }).click();
    const dlg = alice.locator('dialog[open]');
    await dlg.getByLabel('To (username)').fill('bob');
    await dlg.getByLabel('Message').fill('Here is the photo from Saturday.');
    const photo = await dlg.locator('option', { hasText: 'photo.png' }).getAttribute('value');
    await dlg.getByLabel('Attach one of your files').selectOption(photo);
    await dlg.getByRole('button', { name: 'Send' }).click();
    await alice.locator('.messages li').first().waitFor();
    await bob.goto(`${base}/#/messages/inbox`);
    await bob.locator('#unread:not([hidden])').waitFor();
    check((await bob.locator('#unread').textContent()) === '1', 'one unread');
    await bob.locator('.messages li.unread').waitFor();
    await bob.screenshot({ path: `${shots}/messages.png` });
    await bob.locator('.messages li .message-head').first().click();
    await bob.locator('.message-text', { hasText: 'Here is the photo from Saturday.' }).waitFor();
    await bob.getByRole('link', { name: 'photo.png' }).waitFor();
    await bob.locator('#unread[hidden]').waitFor({ state: 'attached' });
    await audit(bob, 'messages');
  });

  await step('a signed URL downloads without signing in', async () => {
    await alice.getByRole('link', { name: 'Files' }).click();
    await alice.locator('tr[data-path="photo.png"] button.name').click();
    await alice.locator('dialog[open]').getByRole('button', { name: 'Signed URL…' }).click();
    const dlg = alice.locator('dialog[open]').last();
    await dlg.getByLabel('Valid for').selectOption('3600');
    await dlg.getByRole('button', { name: 'Create signed URL' }).click();
    const url = await dlg.getByLabel('Signed URL').inputValue();
    const r = await fetch(url);
    check(r.status === 200 && r.headers.get('content-type') === 'image/png', `signed URL gave ${r.status}`);
    await alice.keyboard.press('Escape');
    await alice.keyboard.press('Escape');
  });

  await step('usage shows the uploads', async () => {
    await alice.getByRole('link', { name: 'Usage' }).click();
    await alice.locator('#file-count').waitFor();
    check((await alice.locator('#file-count').textContent()) === '5', 'five files (three dropped, two in a folder)');
    const up = await alice.locator('#uploaded').textContent();
    check(/MiB/.test(up) && parseFloat(up) >= 50, `uploaded ${up}`);
    check(await alice.locator('.chart svg rect.up').count() === 30, '30 days of bars');
    await audit(alice, 'usage');
    // A plan below what is used is refused with the server's reason, readably.
    await alice.getByLabel('Storage (GiB)').fill('0.01');
    await alice.getByRole('button', { name: 'Change plan' }).click();
    const refusal = await alice.locator('form .form-error:not([hidden])').textContent();
    check(/check the highlighted fields/i.test(refusal) && !refusal.includes('{'), `plan refusal: ${refusal}`);
    await alice.getByLabel('Storage (GiB)').fill('20');
    await alice.getByRole('button', { name: 'Change plan' }).click();
    await alice.getByText('of 20 GiB used').waitFor();
    await alice.screenshot({ path: `${shots}/usage.png`, fullPage: true });
  });

  await step('settings: a device secret is shown once', async () => {
    await alice.getByRole('link', { name: 'Settings' }).click();
    const devices = alice.getByRole('region', { name: 'Devices' });
    await devices.getByLabel('Device name').fill('Laptop');
    await devices.getByLabel('Peer id').fill('laptop-1');
    await devices.getByRole('button', { name: 'Add' }).click();
    const secret = await alice.locator('dialog[open]').getByLabel('Secret', { exact: true }).inputValue();
    check(secret.length >= 20, 'a secret');
    await alice.keyboard.press('Escape');
    await devices.locator('.credentials li', { hasText: 'Laptop' }).waitFor();
    // A bucket the server cannot reach: the refusal is shown, not raw JSON.
    const bucket = alice.getByRole('region', { name: 'Your own bucket' });
    await bucket.getByLabel('Endpoint URL').fill('http://127.0.0.1:9');
    await bucket.getByLabel('Region').fill('us-east-1');
    await bucket.getByLabel('Bucket', { exact: true }).fill('mine');
    await bucket.getByLabel('Access key id').fill('AKIAEXAMPLE');
    await bucket.getByLabel('Secret access key').fill('not-a-real-secret');
    await bucket.getByRole('button', { name: 'Save bucket' }).click();
    const refused = await bucket.locator('.form-error:not([hidden])').textContent();
    check(refused.length > 10 && !refused.includes('{'), `bucket refusal: ${refused}`);
    report.figures.bucket_refusal = refused;
    // Sessions: this browser is listed as the current one; end the others (the phone
    // step signs in again later).
    const sessionsBox = alice.getByRole('region', { name: 'Where you are signed in' });
    await sessionsBox.locator('li[data-kind="browser"]', { hasText: 'this one' }).waitFor();
    await audit(alice, 'settings');
    await alice.screenshot({ path: `${shots}/settings.png`, fullPage: true });
  });

  await step('a new version, restored; a delete goes to the trash and comes back', async () => {
    await alice.getByRole('link', { name: 'Files' }).click();
    await alice.locator('tr[data-path="Documents"] button.name').click();
    await alice.locator('tr[data-path="Documents/notes.txt"] button.name').click();
    const dlg = alice.locator('dialog[open]');
    await dlg.getByText('None. When you replace this file').waitFor();
    await dlg.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Second draft.\n') });
    await dlg.locator('.versions li').first().waitFor();
    const now = await apiFrom(alice, 'GET', '/api/v1/fs/Documents/notes.txt');
    check(now.body === 'Second draft.\n', `replaced: ${now.body}`);
    check(await dlg.locator(`.versions li[data-sha256="${sha256(Buffer.from(SMALL_TEXT))}"]`).count() === 1, 'the first content is a version');
    await audit(alice, 'versions');
    await dlg.locator('.versions').getByRole('button', { name: /^Restore/ }).click();
    await alice.getByText('Version restored.').waitFor();
    const back = await apiFrom(alice, 'GET', '/api/v1/fs/Documents/notes.txt');
    check(back.body === SMALL_TEXT, `restored: ${back.body}`);
    await dlg.getByRole('button', { name: 'Delete', exact: true }).click();
    await alice.locator('dialog[open]').last().getByRole('button', { name: 'Move to trash' }).click();
    await alice.locator('tr[data-path="Documents/notes.txt"]').waitFor({ state: 'detached' });
    await alice.getByRole('link', { name: 'Trash' }).click();
    const row = alice.locator('tr[data-path="Documents/notes.txt"]');
    await row.waitFor();
    await audit(alice, 'trash');
    await alice.screenshot({ path: `${shots}/trash.png`, fullPage: true });
    await row.getByRole('button', { name: 'Restore Documents/notes.txt' }).click();
    await alice.getByText('The trash is empty.').waitFor();
    const again = await apiFrom(alice, 'GET', '/api/v1/fs/Documents/notes.txt');
    check(again.body === SMALL_TEXT, `restored from the trash: ${again.body}`);
    const versions = JSON.parse((await apiFrom(alice, 'GET', `/api/v1/files/${JSON.parse((await apiFrom(alice, 'GET', '/api/v1/files?prefix=Documents/notes')).body).items[0].id}/versions`)).body);
    check(versions.items.length === 1, 'the version came back with the file');
  });

  await step('a folder of 1,000 files renders fast', async () => {
    const status = await alice.evaluate(async () => {
      const form = new FormData();
      for (let i = 0; i < 1000; i++) form.append('file', new Blob([`file ${i}`]), `file-${String(i).padStart(4, '0')}.txt`);
      const token = document.cookie.split('; ').find((c) => c.startsWith('nimbus_csrf=')).slice(12);
      const r = await fetch('/api/v1/files?dir=many', { method: 'POST', body: form, headers: { 'X-CSRF-Token': token } });
      return r.status;
    });
    check(status === 201, `bulk upload ${status}`);
    await alice.goto(`${base}/#/files/`);
    await alice.locator('tr[data-path="big.bin"]').waitFor();
    const ms = await alice.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      location.hash = '#/files/many';
      const wait = () => (document.querySelectorAll('tbody tr').length === 1000
        ? requestAnimationFrame(() => resolve(performance.now() - t0)) : requestAnimationFrame(wait));
      wait();
    }));
    report.figures.render_1000_files_ms = Math.round(ms);
    // Of which the listing request alone (server and JSON):
    report.figures.list_1000_files_api_ms = Math.round(await alice.evaluate(async () => {
      const t0 = performance.now();
      await (await fetch('/api/v1/files?prefix=many%2F&delimiter=%2F&limit=1000')).json();
      return performance.now() - t0;
    }));
    check(ms < 5000, `1,000 files took ${ms} ms`);
  });

  await step('phone width and dark mode', async () => {
    const phone = await newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
    await phone.goto(`${base}/`);
    await phone.getByLabel('Username or e-mail').fill('alice');
    await phone.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.locator('tr[data-path="big.bin"]').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `no sideways scrolling on a phone (${overflow}px)`);
    const bg = await phone.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    check(bg === 'rgb(18, 21, 28)', `dark background, got ${bg}`);
    await audit(phone, 'files (phone, dark)');
    await phone.screenshot({ path: `${shots}/phone.png` });
    await phone.context().close();
  });

  await step('a cross-origin form POST is rejected', async () => {
    const attacker = await newPage();
    // Sign in this browser first, so it holds a session cookie the attack could ride on.
    await attacker.goto(`${base}/`);
    await attacker.getByLabel('Username or e-mail').fill('alice');
    await attacker.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await attacker.getByRole('button', { name: 'Sign in' }).click();
    await attacker.locator('tr[data-path="big.bin"]').waitFor();
    await attacker.route('http://evil.test/**', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<form id="f" method="POST" action="${base}/api/v1/folders" enctype="text/plain">
        <input name='{"path":"pwned","x":"' value='"}'></form>`,
    }));
    await attacker.goto('http://evil.test/');
    const [response] = await Promise.all([attacker.waitForResponse(`${base}/api/v1/folders`), attacker.evaluate(() => document.getElementById('f').submit())]);
    check(response.status() >= 400 && response.status() < 500, `the forged POST got ${response.status()}`);
    const listing = await apiFrom(alice, 'GET', '/api/v1/files?prefix=&delimiter=/');
    check(!listing.body.includes('pwned'), 'no folder was made');
    await attacker.context().close();
  });

  await step('reloading during a large upload resumes it', async () => {
    await alice.goto(`${base}/#/files/`);
    await alice.locator('tr[data-path="big.bin"]').waitFor();
    let patches = 0;
    await alice.route('**/api/v1/uploads/*', async (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      patches++;
      if (patches === 1) return route.continue();
      // The second chunk never arrives: the connection hangs, and the user reloads.
    });
    const RESUME = { name: 'resume.bin', size: 40 * MIB, seed: 3 };
    await drop(alice, [RESUME]);
    await alice.waitForFunction(() => /%/.test(document.querySelector('#upload-list li[data-name="resume.bin"] .upload-status')?.textContent || ''));
    await alice.waitForTimeout(300);
    while (patches < 2) await alice.waitForTimeout(50);
    await alice.unroute('**/api/v1/uploads/*');
    await alice.reload();
    const notice = alice.getByRole('region', { name: 'Unfinished uploads' });
    await notice.locator('li[data-name="resume.bin"]').waitFor();
    // At least the first chunk is on the server (what of the second arrived before the
    // reload cut it off is kept too).
    await notice.getByText(/([4-9]\d)% on the server/).waitFor({ timeout: 10000 }).catch(async (e) => {
      throw new Error(`${e.message}; the notice says: ${await notice.textContent()}`);
    });
    await drop(alice, [RESUME]);
    await alice.waitForSelector('#upload-list li.done[data-name="resume.bin"]', { timeout: 120000, state: 'attached' });
    const status = await alice.locator('#upload-list li[data-name="resume.bin"] .upload-status').textContent();
    const resumedAt = /resumed at ([\d.]+) MiB/.exec(status);
    check(resumedAt && Number(resumedAt[1]) >= 16, `status: ${status}`);
    report.figures.resumed_at_mib = Number(resumedAt[1]);
    const info = JSON.parse((await apiFrom(alice, 'GET', '/api/v1/files?q=resume.bin')).body);
    check(info.items.length === 1 && info.items[0].sha256 === sha256(bytes(RESUME.size, RESUME.seed)), 'the resumed file is byte-exact');
    await alice.getByRole('region', { name: 'Unfinished uploads' }).waitFor({ state: 'detached' }).catch(() => {});
  });

  await step('a third user: picture with preview, new password, then deletes the account', async () => {
    const carol = await newPage();
    await signUp(carol, 'carol');
    await carol.getByRole('link', { name: 'Settings' }).click();
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await carol.locator('input[name="avatar"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    check((await carol.getByAltText('Your avatar').getAttribute('src')).startsWith('blob:'), 'a preview before upload');
    await carol.getByRole('button', { name: 'Upload picture' }).click();
    await carol.getByText('Picture saved.').waitFor();
    const me = JSON.parse((await apiFrom(carol, 'GET', '/api/v1/me')).body);
    check(me.user.avatar_url, 'the avatar is stored');
    // Two-factor sign-in: set up with the key, then a fresh browser needs the code.
    const tfa = carol.getByRole('region', { name: 'Two-factor sign-in' });
    await tfa.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const key = await carol.locator('#totp-secret').textContent();
    await carol.waitForFunction(() => { const i = document.querySelector('img.qr'); return i && i.complete && i.naturalWidth >= 200; });
    await tfa.getByLabel('Code from the app').fill(totp(key, stepNow()));
    await tfa.getByRole('button', { name: 'Turn on' }).click();
    await tfa.locator('.recovery-codes li').nth(9).waitFor();
    check(await tfa.locator('.recovery-codes li').count() === 10, 'ten recovery codes');
    const again = await newPage();
    await again.goto(`${base}/`);
    await again.getByLabel('Username or e-mail').fill('carol');
    await again.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByText('Enter the code from your authenticator app.').waitFor();
    await again.getByLabel(/Code from your authenticator app/).fill(totp(key, stepNow() + 1));
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('link', { name: 'My files' }).waitFor();
    await again.context().close();
    const pw = carol.getByRole('region', { name: 'Password' });
    await pw.getByLabel('Current password').fill(PASSWORD);
    await pw.getByLabel('New password').fill('a brand new secret');
    await pw.getByRole('button', { name: 'Change password' }).click();
    await carol.getByText(/Password changed/).waitFor();
    const del = carol.getByRole('region', { name: 'Delete account' });
    await del.getByLabel('Your password').fill(PASSWORD);
    await del.getByRole('button', { name: 'Delete my account' }).click();
    await carol.locator('dialog[open]').getByRole('button', { name: 'Delete everything' }).click();
    await del.locator('.form-error:not([hidden])').waitFor(); // the old password is wrong now
    await del.getByLabel('Your password').fill('a brand new secret');
    await del.getByRole('button', { name: 'Delete my account' }).click();
    await carol.locator('dialog[open]').getByRole('button', { name: 'Delete everything' }).click();
    await carol.getByRole('button', { name: 'Sign in' }).waitFor();
    const gone = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'carol', password: 'a brand new secret' }) });
    check(gone.status === 401, `carol can still sign in (${gone.status})`);
    await carol.context().close();
  });

  await step('admin disables bob, whose open session is refused', async () => {
    await alice.getByRole('link', { name: 'Admin' }).click();
    await alice.locator('tr[data-username="bob"]').waitFor();
    await audit(alice, 'admin');
    await alice.screenshot({ path: `${shots}/admin.png` });
    await alice.getByRole('button', { name: 'Invite someone…' }).click();
    await alice.locator('dialog[open]').getByRole('button', { name: 'Create invite' }).click();
    const inviteLink = await alice.locator('dialog[open]').getByLabel('Invitation link').inputValue();
    check(/#\/signup\/inv_[0-9a-f]{64}$/.test(inviteLink), inviteLink);
    await alice.keyboard.press('Escape');
    const invited = await newPage();
    await invited.goto(inviteLink);
    check((await invited.getByLabel(/Invite code/).inputValue()) === inviteLink.split('/').pop(), 'the sign-up form carries the invite');
    await invited.context().close();
    await alice.getByRole('button', { name: 'Change quota of bob' }).click();
    await alice.locator('dialog[open]').getByLabel('Quota (GiB)').fill('2');
    await alice.locator('dialog[open]').getByRole('button', { name: 'Save' }).click();
    await alice.locator('tr[data-username="bob"]', { hasText: '2.0 GiB' }).waitFor();
    await alice.getByRole('button', { name: 'Disable bob' }).click();
    await alice.locator('tr[data-username="bob"]', { hasText: 'Disabled' }).waitFor();
    const me = await apiFrom(bob, 'GET', '/api/v1/me');
    check(me.status === 401, `bob's session got ${me.status}`);
    await bob.getByRole('link', { name: 'Files' }).click();
    await bob.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  if (problems.length) throw new Error(problems.join('\n'));
  report.ok = true;
} catch (e) {
  report.ok = false;
  report.error = `${e.message}${problems.length ? `\nalso:\n${problems.join('\n')}` : ''}`;
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
