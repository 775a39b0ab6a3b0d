// A child's profile on the family page: rename (and age, interests), remove after a
// confirmation, and the classes the child is in.
import { del, get, put } from './api.js';
import { announce, errorText, fill, formValues, h, showFormError } from './dom.js';
import { t } from './strings.js';

// The form to change a child's name, age and interests; onSaved(child) with the server's copy.
export function profileForm(child, onSaved) {
  const id = child.id;
  const saved = h('p', { class: 'success', role: 'status' });
  const form = h('form', {
    class: 'profile-form',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      showFormError(form, null);
      saved.textContent = '';
      const v = formValues(form);
      const interests = (v.interests ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      try {
        const updated = await put(`/v1/children/${id}`, {
          name: v.name, age: Number(v.age), interests, avatar_url: child.avatar_url ?? undefined, timezone: child.timezone,
        });
        Object.assign(child, updated);
        saved.textContent = t('parent.profile_saved', { name: updated.name });
        onSaved(updated);
      } catch (e) {
        showFormError(form, e);
      }
    },
  },
  h('label', { for: `name-${id}` }, t('field.name')),
  h('input', { id: `name-${id}`, name: 'name', required: true, maxlength: '100', autocomplete: 'off', value: child.name }),
  h('label', { for: `age-${id}` }, t('parent.age')),
  h('input', { id: `age-${id}`, name: 'age', type: 'number', min: '2', max: '18', required: true, value: String(child.age ?? '') }),
  h('label', { for: `interests-${id}` }, t('parent.interests')),
  h('input', { id: `interests-${id}`, name: 'interests', autocomplete: 'off', value: (child.interests ?? []).join(', ') }),
  h('p', { class: 'form-error', role: 'alert' }),
  saved,
  h('button', { type: 'submit', class: 'primary' }, t('parent.profile_save')));
  return form;
}

// "Remove Mia": asks first, in a dialog that says what goes; onRemoved() once the server
// removed the child.
export function removeButton(child, onRemoved) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const dialog = h('dialog', { class: 'confirm-remove', 'aria-labelledby': `remove-title-${child.id}` });
  const keep = h('button', { type: 'button', class: 'keep', onclick: () => dialog.close() }, t('parent.remove_keep'));
  const confirm = h('button', {
    type: 'button', class: 'danger',
    onclick: async () => {
      confirm.disabled = true;
      try {
        await del(`/v1/children/${child.id}`);
        dialog.close();
        dialog.remove();
        announce(t('parent.removed', { name: child.name }));
        onRemoved();
      } catch (e) {
        error.textContent = errorText(e);
        confirm.disabled = false;
      }
    },
  });
  const open = h('button', {
    type: 'button', class: 'danger-outline',
    onclick: () => {
      // The name may have changed since the button was made.
      fill(dialog,
        h('h2', { id: `remove-title-${child.id}` }, t('parent.remove_title', { name: child.name })),
        h('p', {}, t('parent.remove_warning')),
        error,
        h('div', { class: 'actions' }, keep, confirm));
      confirm.textContent = t('parent.remove_confirm', { name: child.name });
      error.textContent = '';
      if (!dialog.isConnected) document.body.append(dialog);
      dialog.showModal();
      keep.focus();
    },
  }, t('parent.remove'));
  return open;
}

// The classes the child is in (GET /v1/children/{id}/classes), into `list`.
export async function listClasses(list, childId) {
  try {
    const classes = await get(`/v1/children/${childId}/classes`);
    fill(list, classes.length
      ? classes.map((c) => h('li', {}, h('strong', {}, c.name),
        ' ', h('span', { class: 'hint' }, t(c.subject ? 'parent.class_with_subject' : 'parent.class_with', { teacher: c.teacher_name, subject: c.subject ?? '' }))))
      : h('li', { class: 'hint' }, t('parent.no_classes')));
  } catch (e) {
    fill(list, h('li', {}, errorText(e)));
  }
}
