// /admin: accounts found by email or name, a page at a time, deactivated and reactivated.
import { get, post } from './api.js';
import { $, announce, dateText, errorText, fill, h, showFormError } from './dom.js';
import { t } from './strings.js';

let query = '';
let page = 1;
let me = null; // the signed-in admin's id: their own account has no button (the server says 409)

function row(account) {
  const state = account.active ? t('admin.active') : t('admin.inactive');
  const action = account.active ? 'deactivate' : 'reactivate';
  const button = h('button', {
    type: 'button',
    class: account.active ? 'small danger' : 'small',
    dataset: { action },
    'aria-label': t(`admin.${action}_who`, { name: account.name, email: account.email }),
    onclick: () => setActive(account, button),
  }, t(`admin.${action}`));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const own = account.id === me;
  return h('li', { class: 'admin-item', dataset: { id: account.id, email: account.email } },
    h('p', { class: 'admin-line' }, h('strong', {}, account.name), ' ',
      h('span', { class: `pill${account.active ? ' on' : ''}` }, state)),
    h('p', { class: 'admin-line break' }, account.email),
    h('p', { class: 'hint' }, t(`role.${account.role}`), ' · ',
      account.last_login_at ? t('admin.last_login', { when: dateText(account.last_login_at) }) : t('admin.never_signed_in')),
    own ? h('p', { class: 'hint' }, t('admin.your_account')) : button, error);
}

async function setActive(account, button) {
  const action = account.active ? 'deactivate' : 'reactivate';
  if (action === 'deactivate' && !window.confirm(t('admin.deactivate_confirm', { email: account.email }))) return;
  button.disabled = true;
  try {
    const updated = await post(`/v1/admin/users/${encodeURIComponent(account.id)}/${action}`);
    announce(t(updated.active ? 'admin.reactivated' : 'admin.deactivated', { email: updated.email }));
    const item = row(updated);
    button.closest('li').replaceWith(item);
    item.querySelector('button').focus();
  } catch (e) {
    button.disabled = false;
    button.closest('li').querySelector('.form-error').textContent = errorText(e);
  }
}

export async function loadAccounts() {
  const form = $('#account-search');
  showFormError(form, null);
  const params = new URLSearchParams({ page: String(page) });
  if (query) params.set('q', query);
  try {
    const found = await get(`/v1/admin/users?${params}`);
    fill($('#accounts'), found.accounts.map(row));
    const pages = Math.max(1, Math.ceil(found.total / found.per_page));
    $('#accounts-count').textContent = t('admin.accounts_found', { n: found.total, page: found.page, pages });
    $('#accounts-prev').hidden = found.page <= 1;
    $('#accounts-next').hidden = found.page >= pages;
  } catch (e) {
    showFormError(form, e);
  }
}

export function setUpAccounts(adminId) {
  me = adminId;
  $('#account-search').addEventListener('submit', (event) => {
    event.preventDefault();
    query = $('#account-q').value.trim();
    page = 1;
    loadAccounts();
  });
  $('#accounts-prev').addEventListener('click', () => { page -= 1; loadAccounts(); });
  $('#accounts-next').addEventListener('click', () => { page += 1; loadAccounts(); });
  return loadAccounts();
}
