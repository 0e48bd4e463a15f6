// The public link page (`/s/{token}`): a password-protected link sends the password in a
// header, never in the URL, and saves what comes back.

const form = document.getElementById('link-form');
if (form) {
  const error = document.getElementById('link-error');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const r = await fetch(form.dataset.href, { headers: { 'X-Link-Password': form.elements.password.value } });
      if (!r.ok) {
        error.textContent = r.status === 401 ? 'Wrong password.' : r.status === 404 ? 'This link no longer works.' : 'The download failed. Try again.';
        return;
      }
      const a = document.createElement('a');
      a.href = URL.createObjectURL(await r.blob());
      a.download = form.dataset.name;
      document.body.append(a);
      a.click();
      a.remove();
    } finally {
      button.disabled = false;
    }
  });
}
