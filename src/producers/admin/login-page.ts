// The login form in front of Bull Board. Plain HTML with no script, so it passes a strict CSP.
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function loginPage(action: string, opts: { error?: string } = {}): string {
  const error = opts.error ? `<p class="error">${escape(opts.error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>outdial admin · sign in</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.1); width: 18rem; }
  label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; }
  button { margin-top: 1rem; width: 100%; padding: .6rem; }
  .error { color: #b00020; }
</style>
</head>
<body>
<form method="post" action="${escape(action)}">
  <h1>outdial queues</h1>
  ${error}
  <label for="username">User</label>
  <input id="username" name="username" type="text" value="admin" autocomplete="username" required>
  <label for="password">Admin token</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
</form>
</body>
</html>`;
}
