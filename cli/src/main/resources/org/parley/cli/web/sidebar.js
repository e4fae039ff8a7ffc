// The left side: chats (sorted by last activity, unread counts, search), groups, devices.
import { $, el, initials, listTime, when } from './util.js';

export class Sidebar {
  // ctx: { page, openChat(chat), unlinkSelf(), rpc(method, params) }
  constructor(ctx) {
    this.ctx = ctx;
    this.openKey = null;
    for (const name of ['chats', 'groups', 'devices']) {
      $('tab-' + name).addEventListener('click', () => this.tab(name));
    }
    $('search').addEventListener('input', () => this.renderChats());
    $('new-chat').addEventListener('submit', (e) => {
      e.preventDefault();
      const number = $('new-chat-number').value.replace(/[\s()-]/g, '');
      if (!/^\+[1-9]\d{6,14}$/.test(number)) {
        $('new-chat-number').setCustomValidity('A number in international form: +15551234567');
        $('new-chat-number').reportValidity();
        return;
      }
      $('new-chat-number').setCustomValidity('');
      $('new-chat-number').value = '';
      const known = this.ctx.page.chats.find((c) => c.chat === number);
      this.ctx.openChat(known || { chat: number, group: false, name: this.ctx.page.contacts.get(number) || number, unread: 0 });
    });
    $('new-chat-number').addEventListener('input', () => $('new-chat-number').setCustomValidity(''));
    $('new-group').addEventListener('submit', (e) => this.createGroup(e));
    $('unlink-self').addEventListener('click', () => this.ctx.unlinkSelf());
  }

  tab(name) {
    for (const other of ['chats', 'groups', 'devices']) {
      $('panel-' + other).hidden = other !== name;
      $('tab-' + other).setAttribute('aria-pressed', String(other === name));
    }
    if (name === 'devices') this.refreshDevices();
    if (name === 'groups') this.refreshGroups();
  }

  async refreshChats() {
    this.ctx.page.chats = (await this.ctx.rpc('listChats', {})).chats;
    this.renderChats();
  }

  renderChats() {
    const query = $('search').value.trim().toLowerCase();
    const list = $('chat-list');
    const focused = document.activeElement?.closest?.('#chat-list li')?.dataset.chat;
    const shown = this.ctx.page.chats.filter((c) =>
      !query || (c.name || '').toLowerCase().includes(query) || c.chat.toLowerCase().includes(query)
        || (c.labels || []).some((l) => l.toLowerCase().includes(query)));
    list.replaceChildren(...shown.map((c) => this.chatItem(c)));
    if (shown.length === 0) {
      list.append(el('li', { class: 'empty', text: query ? 'No chat matches \u201C' + query + '\u201D.' : 'No chats yet.' }));
    }
    if (focused) list.querySelector(`li[data-chat="${CSS.escape(focused)}"] button`)?.focus();
  }

  chatItem(c) {
    const name = c.name || c.chat;
    const unread = c.unread > 0 || c.markedUnread;
    const tags = [];
    if (c.pinned) tags.push(el('span', { class: 'tag', text: 'pinned' }));
    if (c.mutedUntil) tags.push(el('span', { class: 'tag', text: 'muted' }));
    for (const label of c.labels || []) tags.push(el('span', { class: 'tag label', text: label }));
    if (c.assignedToName) tags.push(el('span', { class: 'tag agent', text: '\u2192 ' + c.assignedToName }));
    const button = el('button', {
      type: 'button', class: 'chat-item' + (c.chat === this.openKey ? ' open' : ''),
      'aria-current': c.chat === this.openKey ? 'true' : null,
      'aria-label': name + (c.group ? ', group' : '') + (c.unread ? ', ' + c.unread + ' unread' : ''),
      onclick: () => this.ctx.openChat(c),
    },
      el('span', { class: 'avatar' + (c.group ? ' group' : ''), 'aria-hidden': 'true', text: initials(name) }),
      el('span', { class: 'chat-main' },
        el('span', { class: 'chat-top' },
          el('span', { class: 'chat-name' + (unread ? ' unread' : ''), text: name }),
          el('span', { class: 'chat-time', text: listTime(c.lastMessage) })),
        el('span', { class: 'chat-bottom' },
          el('span', { class: 'chat-tags' }, ...tags),
          c.unread > 0 ? el('span', { class: 'badge', 'aria-hidden': 'true', text: String(c.unread) }) : null)));
    return el('li', { 'data-chat': c.chat }, button);
  }

  markOpen(key) {
    this.openKey = key;
    this.renderChats();
  }

  focusOpen() {
    const item = this.openKey && $('chat-list').querySelector(`li[data-chat="${CSS.escape(this.openKey)}"] button`);
    (item || $('search')).focus();
  }

  async refreshContacts() {
    const contacts = (await this.ctx.rpc('listContacts', {})).contacts || [];
    this.ctx.page.contacts = new Map(contacts.filter((c) => c.name).map((c) => [c.number, c.name]));
  }

  // The groups as the local process lists them now (each brought up to date with its signed changes).
  async refreshGroups() {
    const groups = (await this.ctx.rpc('listGroups', {})).groups;
    this.ctx.page.groups = new Map(groups.map((g) => [g.id, g]));
    this.ctx.page.groupsKnown = true;
    this.renderGroups();
  }

  renderGroups() {
    const groups = [...this.ctx.page.groups.values()];
    const list = $('group-list');
    list.replaceChildren(...groups.map((g) => el('li', {},
      el('button', {
        type: 'button', class: 'row-button',
        onclick: () => this.ctx.openChat(this.ctx.page.chats.find((c) => c.chat === g.id)
          || { chat: g.id, group: true, name: g.name, unread: 0 }),
      },
      el('strong', { text: g.name }),
      el('span', { class: 'small', text: g.members.length + ' members' + (g.admin ? ' \u00B7 you are an admin' : '') })),
      el('p', { class: 'small members', text: g.members.map((m) => (this.ctx.page.contacts.get(m.phone) || m.phone) + (m.admin ? ' (admin)' : '')).join(', ') }))));
    if (groups.length === 0) list.append(el('li', { class: 'empty', text: 'No groups yet.' }));
  }

  async createGroup(e) {
    e.preventDefault();
    const name = $('group-name').value.trim();
    const members = $('group-members').value.split(/[,;\s]+/).filter(Boolean);
    $('group-error').hidden = true;
    try {
      const group = await this.ctx.rpc('updateGroup', { name, members });
      $('group-name').value = '';
      $('group-members').value = '';
      await Promise.all([this.refreshGroups(), this.refreshChats()]);
      this.ctx.openChat({ chat: group.id, group: true, name: group.name, unread: 0 });
    } catch (error) {
      $('group-error').textContent = error.message;
      $('group-error').hidden = false;
    }
  }

  async refreshDevices() {
    const answer = await this.ctx.rpc('listDevices', {});
    const devices = answer.devices || [];
    this.ctx.page.devices = new Map(devices.map((d) => [d.id, d]));
    $('device-list').replaceChildren(...devices.map((d) => el('li', { class: 'device' },
      el('strong', { text: (d.name || 'device ' + d.id) + (d.current ? ' (this browser)' : '') }),
      el('span', { class: 'small', text: [d.kind, 'device ' + d.id, d.primary ? 'primary' : null,
        d.lastSeen ? 'last seen ' + when(d.lastSeen) : null].filter(Boolean).join(' \u00B7 ') }),
      d.unlinkAt ? el('span', { class: 'small warn-text', text: 'will be unlinked on ' + when(d.unlinkAt) + ' unless used' }) : null)));
  }
}
