// /admin: an administrator's page. Accounts, dead letters, backups, health and the audit
// log, all over the API. Anyone else who opens it is sent to their own page.
import { setUpAccounts } from './admin-accounts.js';
import { setUpOperations } from './admin-ops.js';
import { me } from './api.js';
import { homeOf, signedIn } from './shell.js';

async function main() {
  // Not an admin: their own page, at once (signed out: `signedIn` sends them to sign in).
  const who = await me().catch(() => null);
  if (who && who.user.role !== 'admin') {
    location.replace(homeOf(who.user.role));
    return;
  }
  const admin = await signedIn(['admin']);
  document.body.dataset.ready = 'true';
  await Promise.all([setUpAccounts(admin.user.id), setUpOperations()]);
  document.body.dataset.loaded = 'true';
}

main();
