// /admin: the server's health, dead letters, backups and the audit log.
import { del, get, post } from './api.js';
import { $, announce, dateText, errorText, fill, formValues, h, showFormError } from './dom.js';
import { t } from './strings.js';

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

export async function loadHealth() {
  let body = null;
  try {
    // Not through `get`: a 503 still has a body (which service is away), and /health is open.
    body = await (await fetch('/health', { headers: { Accept: 'application/json' } })).json();
  } catch { /* unreachable, or not JSON */ }
  if (!body) {
    fill($('#health'), fact(t('admin.health_status'), t('error.network')));
    return;
  }
  const services = Object.entries(body.services ?? {}).map(([name, state]) => fact(name, String(state)));
  fill($('#health'),
    fact(t('admin.health_status'), body.status),
    fact(t('admin.health_version'), body.version),
    fact(t('admin.health_uptime'), t('admin.seconds', { n: body.uptime_seconds })),
    services);
}

// Dead letters ----------------------------------------------------------------------------

let deadBefore = null;

function deadItem(letter) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const when = dateText(letter.created_at);
  // Retry (once its cause is fixed) or discard; either way the letter leaves the list, and
  // a retry the database refuses again comes back as a new letter.
  const act = (action, button) => async () => {
    for (const b of buttons) b.disabled = true;
    try {
      if (action === 'retry') await post(`/v1/admin/dead-letters/${encodeURIComponent(letter.id)}/retry`);
      else await del(`/v1/admin/dead-letters/${encodeURIComponent(letter.id)}`);
      button.closest('li').remove();
      announce(t(action === 'retry' ? 'admin.retried' : 'admin.discarded'));
      $('#dead-empty').hidden = $('#dead-letters').children.length > 0;
    } catch (e) {
      for (const b of buttons) b.disabled = false;
      error.textContent = errorText(e);
      if (action === 'retry' && e.status === 409) loadDeadLetters();
    }
  };
  const retry = h('button', { type: 'button', class: 'small', dataset: { action: 'retry' },
    'aria-label': t('admin.retry_which', { kind: letter.kind, when }) }, t('admin.retry'));
  const discard = h('button', { type: 'button', class: 'small', dataset: { action: 'discard' },
    'aria-label': t('admin.discard_which', { kind: letter.kind, when }) }, t('admin.discard'));
  const buttons = [retry, discard];
  retry.addEventListener('click', act('retry', retry));
  discard.addEventListener('click', act('discard', discard));
  return h('li', { class: 'admin-item', dataset: { id: letter.id } },
    h('p', { class: 'admin-line' }, h('strong', {}, letter.kind), ' · ', when),
    h('p', { class: 'admin-line break' }, letter.error),
    h('details', {}, h('summary', {}, t('admin.payload')),
      h('pre', { class: 'payload' }, JSON.stringify(letter.payload, null, 2))),
    h('div', { class: 'row' }, retry, discard), error);
}

export async function loadDeadLetters(more = false) {
  if (!more) deadBefore = null;
  const params = new URLSearchParams({ limit: '20' });
  if (deadBefore) params.set('before', deadBefore);
  try {
    const page = await get(`/v1/admin/dead-letters?${params}`);
    const items = page.dead_letters.map(deadItem);
    if (more) $('#dead-letters').append(...items); else fill($('#dead-letters'), items);
    deadBefore = page.next_before;
    $('#dead-more').hidden = !deadBefore;
    $('#dead-empty').hidden = $('#dead-letters').children.length > 0;
  } catch (e) {
    fill($('#dead-letters'), h('li', { class: 'form-error' }, errorText(e)));
  }
}

// Backups ---------------------------------------------------------------------------------

let polling = null;

function size(bytes) {
  if (bytes === null || bytes === undefined) return '';
  return bytes < 1024 * 1024 ? t('admin.kib', { n: Math.ceil(bytes / 1024) }) : t('admin.mib', { n: (bytes / 1048576).toFixed(1) });
}

function backupItem(b) {
  return h('li', { class: 'admin-item', dataset: { id: b.id, status: b.status } },
    h('p', { class: 'admin-line' }, h('strong', {}, t(`admin.backup_${b.kind}`)), ' ',
      h('span', { class: `pill${b.status === 'verified' ? ' on' : ''}` }, t(`admin.status_${b.status}`)),
      ' · ', dateText(b.created_at), b.size_bytes ? ` · ${size(b.size_bytes)}` : ''),
    h('p', { class: 'admin-line break hint' }, t('admin.backup_id', { id: b.id })),
    b.sha256 ? h('p', { class: 'admin-line break hint' }, t('admin.backup_sha', { sha: b.sha256 })) : null,
    b.error ? h('p', { class: 'form-error' }, b.error) : null);
}

export async function loadBackups() {
  try {
    const list = await get('/v1/backups');
    fill($('#backups'), list.slice(0, 20).map(backupItem));
    $('#backups-empty').hidden = list.length > 0;
    // A backup being written: look again shortly, until it is done.
    clearTimeout(polling);
    if (list.some((b) => b.status === 'pending')) polling = setTimeout(loadBackups, 1500);
  } catch (e) {
    $('#backup-status').textContent = errorText(e);
  }
}

async function startBackup() {
  const button = $('#backup-start');
  button.disabled = true;
  try {
    await post('/v1/backups');
    $('#backup-status').textContent = t('admin.backup_started');
    await loadBackups();
  } catch (e) {
    $('#backup-status').textContent = errorText(e);
  } finally {
    button.disabled = false;
  }
}

// The audit log ---------------------------------------------------------------------------

let auditBefore = null;

function values(label, v) {
  if (v === null || v === undefined) return null;
  return h('p', { class: 'admin-line break hint' }, `${label}: ${JSON.stringify(v)}`);
}

function auditItem(e) {
  return h('li', { class: 'admin-item' },
    h('p', { class: 'admin-line' }, h('strong', {}, `${e.action} ${e.entity_type}`), ' · ', dateText(e.created_at)),
    h('p', { class: 'admin-line break hint' }, t('admin.audit_by', { user: e.user_id ?? '—', entity: e.entity_id })),
    values(t('admin.audit_old'), e.old_values),
    values(t('admin.audit_new'), e.new_values));
}

function auditQuery() {
  const f = formValues($('#audit-filter'));
  const params = new URLSearchParams({ limit: '20' });
  for (const key of ['user_id', 'entity_type', 'action']) if (f[key]) params.set(key, f[key]);
  // Whole days, in this browser's time zone.
  if (f.from) params.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  if (f.to) params.set('to', new Date(`${f.to}T23:59:59.999`).toISOString());
  return params;
}

export async function loadAudit(more = false) {
  const form = $('#audit-filter');
  showFormError(form, null);
  if (!more) auditBefore = null;
  const params = auditQuery();
  if (auditBefore) params.set('before', auditBefore);
  try {
    const page = await get(`/v1/audit?${params}`);
    const items = page.entries.map(auditItem);
    if (more) $('#audit').append(...items); else fill($('#audit'), items);
    auditBefore = page.next_before;
    $('#audit-more').hidden = !auditBefore;
    $('#audit-empty').hidden = $('#audit').children.length > 0;
  } catch (e) {
    showFormError(form, e);
  }
}

export function setUpOperations() {
  $('#health-refresh').addEventListener('click', loadHealth);
  $('#dead-more').addEventListener('click', () => loadDeadLetters(true));
  $('#backup-start').addEventListener('click', startBackup);
  $('#audit-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadAudit();
  });
  $('#audit-more').addEventListener('click', () => loadAudit(true));
  return Promise.all([loadHealth(), loadDeadLetters(), loadBackups(), loadAudit()]);
}
