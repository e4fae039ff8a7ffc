// The details of an open group chat: who is in it and who is an admin; for admins, renaming,
// adding and removing members and naming admins; leaving, for anyone. Each change is a membership
// change the local process signs and submits (updateGroup, quitGroup); the panel shows the group
// as listGroups last answered, and is drawn again whenever a group event arrives.
import { $, el } from './util.js';

const PHONE = /^\+[1-9]\d{6,14}$/;

export class GroupPanel {
  // ctx: { page, rpc(method, params), changed(groupView), left(groupId) }
  constructor(ctx) {
    this.ctx = ctx;
    this.groupId = null;
    $('group-info').addEventListener('click', () => (this.isOpen() ? this.close() : this.open()));
    $('group-panel-close').addEventListener('click', () => this.close());
    $('group-rename').addEventListener('submit', (e) => {
      e.preventDefault();
      this.rename();
    });
    $('group-add').addEventListener('submit', (e) => {
      e.preventDefault();
      this.add();
    });
    $('group-add-member').addEventListener('input', () => $('group-add-member').removeAttribute('aria-invalid'));
    $('group-leave').addEventListener('click', () => this.leave());
    $('group-panel').addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close();
      }
    });
  }

  // Another chat was opened: the button is there for a group chat only, and the panel closes.
  chatOpened(chat) {
    this.groupId = chat.group ? chat.chat : null;
    $('group-info').hidden = !chat.group;
    this.close(false);
  }

  isOpen() {
    return !$('group-panel').hidden;
  }

  open() {
    if (!this.groupId) return;
    this.say('', '');
    this.render();
    $('group-panel').hidden = false;
    $('conversation').classList.add('showing-group');
    $('group-info').setAttribute('aria-expanded', 'true');
    $('group-panel-title').focus();
  }

  close(focus = true) {
    if (!this.isOpen()) return;
    $('group-panel').hidden = true;
    $('conversation').classList.remove('showing-group');
    $('group-info').setAttribute('aria-expanded', 'false');
    if (focus) $('group-info').focus();
  }

  group() {
    return this.groupId ? this.ctx.page.groups.get(this.groupId) : null;
  }

  // Draws the group as last listed; what has focus keeps it (a live update must not move the reader).
  render() {
    if (!this.groupId) return;
    const group = this.group();
    const me = this.ctx.page.me.phone;
    const focused = document.activeElement?.closest?.('#group-member-list li');
    const focusedAction = focused ? document.activeElement.dataset.action : null;
    const member = !!group;
    for (const id of ['group-rename', 'group-add', 'group-leave']) $(id).hidden = !member;
    if (!member) {
      $('group-panel-role').textContent = 'You are not a member of this group any more.';
      $('group-member-list').replaceChildren();
      $('group-members-head').textContent = 'Members';
      return;
    }
    $('group-panel-role').textContent = group.admin
      ? 'You are an admin: you can rename the group, add and remove members and make members admins.'
      : 'Only admins can rename the group, add or remove members and make members admins; you are not an admin.';
    const name = $('group-rename-name');
    if (document.activeElement !== name) name.value = group.name;
    $('group-members-head').textContent = 'Members (' + group.members.length + ')';
    $('group-member-list').replaceChildren(...group.members.map((m) => this.memberItem(m, m.phone === me)));
    $('contact-options').replaceChildren(...[...this.ctx.page.contacts]
      .filter(([phone]) => !group.members.some((m) => m.phone === phone))
      .map(([phone, contact]) => el('option', { value: phone, label: contact })));
    if (focused) {
      const again = $('group-member-list').querySelector(`li[data-phone="${CSS.escape(focused.dataset.phone)}"]`);
      (again?.querySelector(`button[data-action="${focusedAction}"]`) || again?.querySelector('button') || $('group-add-member')).focus();
    }
  }

  memberItem(m, self) {
    const name = this.display(m.phone);
    const actions = self ? null : el('span', { class: 'member-actions' },
      el('button', {
        type: 'button', class: 'secondary', 'data-action': 'admin',
        'aria-label': (m.admin ? 'Revoke admin from ' : 'Make an admin: ') + name,
        text: m.admin ? 'Revoke admin' : 'Make admin',
        onclick: () => this.setAdmin(m.phone, !m.admin),
      }),
      el('button', {
        type: 'button', class: 'secondary', 'data-action': 'remove',
        'aria-label': 'Remove ' + name + ' from the group', text: 'Remove',
        onclick: () => this.remove(m.phone),
      }));
    return el('li', { class: 'member', 'data-phone': m.phone, 'data-admin': String(m.admin) },
      el('span', { class: 'member-main' },
        el('span', { class: 'member-name', text: name + (self ? ' (you)' : '') }),
        name !== m.phone ? el('span', { class: 'small', text: m.phone }) : null),
      m.admin ? el('span', { class: 'tag admin', text: 'admin' }) : null,
      actions);
  }

  display(phone) {
    return this.ctx.page.contacts.get(phone) || phone;
  }

  async rename() {
    const name = $('group-rename-name').value.trim();
    if (!name) return;
    await this.change({ name }, 'rename the group', null, 'The group is now called \u201C' + name + '\u201D.');
  }

  async add() {
    const input = $('group-add-member');
    const phone = this.resolve(input.value);
    if (!phone) {
      input.setAttribute('aria-invalid', 'true');
      this.say('error', 'Type a phone number in international form (+15551234567), or the name of one of your contacts.');
      input.focus();
      return;
    }
    if (await this.change({ members: [phone] }, 'add members', phone, this.display(phone) + ' was added to the group.')) {
      input.value = '';
    }
  }

  async remove(phone) {
    if (!confirm('Remove ' + this.display(phone) + ' from the group? They will not get what is sent after.')) return;
    await this.change({ removeMembers: [phone] }, 'remove members', phone, this.display(phone) + ' was removed from the group.');
  }

  async setAdmin(phone, admin) {
    await this.change(admin ? { admins: [phone] } : { removeAdmins: [phone] },
      admin ? 'make members admins' : 'revoke an admin', phone,
      this.display(phone) + (admin ? ' is now an admin.' : ' is no longer an admin.'));
  }

  async leave() {
    const group = this.group();
    if (!group || !confirm('Leave \u201C' + group.name + '\u201D? You stop getting its messages; only an admin can add you again.')) return;
    this.say('', '');
    try {
      await this.ctx.rpc('quitGroup', { groupId: group.id });
      await this.ctx.left(group.id);
      this.say('status', 'You left the group.');
    } catch (error) {
      this.say('error', refusal(error, 'leave', null));
    }
  }

  // One change through updateGroup; true when it was made. A refusal is said in the panel.
  async change(params, action, phone, done) {
    const groupId = this.groupId;
    this.say('', '');
    $('group-panel').setAttribute('aria-busy', 'true');
    try {
      const view = await this.ctx.rpc('updateGroup', { groupId, ...params });
      await this.ctx.changed(view);
      if (this.groupId === groupId) this.say('status', done);
      return true;
    } catch (error) {
      if (this.groupId === groupId) this.say('error', refusal(error, action, phone && this.display(phone)));
      return false;
    } finally {
      $('group-panel').removeAttribute('aria-busy');
    }
  }

  // A number as typed, or a contact's name as the address book has it.
  resolve(text) {
    const number = text.replace(/[\s()-]/g, '');
    if (PHONE.test(number)) return number;
    const wanted = text.trim().toLowerCase();
    for (const [phone, name] of this.ctx.page.contacts) {
      if (name.toLowerCase() === wanted) return phone;
    }
    return null;
  }

  say(kind, text) {
    $('group-panel-error').hidden = kind !== 'error';
    $('group-panel-error').textContent = kind === 'error' ? text : '';
    $('group-panel-status').textContent = kind === 'status' ? text : '';
  }
}

// What a refused change means, in a sentence; the process's own words when nothing better is known.
function refusal(error, action, who) {
  switch (error.type) {
    case 'NOT_ADMIN':
      return 'Only an admin of this group can ' + action + '; you are not one. Ask one of its admins.';
    case 'LAST_ADMIN':
      return who + ' is the only admin of this group: make another member an admin first.';
    case 'NOT_A_MEMBER':
      return 'You are not a member of this group any more.';
    case 'NOT_FOUND':
      return error.refusedBy
        ? 'Nobody is registered on this server with the number ' + who + '. Check the number.'
        : who + ' is not a member of this group.';
    case 'UNREACHABLE':
      return 'The server cannot be reached, so the group was not changed. Try again in a moment.';
    case 'CONFLICT':
      return 'The group kept changing while this change was made; try again.';
    default:
      return 'The group was not changed: ' + error.message;
  }
}
