// One open chat: its messages, a page at a time from the newest, older pages fetched as the
// reader scrolls up. Rows off screen are skipped by the browser's renderer (content-visibility),
// so a long chat costs what is on screen; the DOM grows only with what the reader scrolled through.
import { rpc } from './api.js';
import { el, dayKey, dayLabel, time } from './util.js';

const PAGE = 60;
const RANK = { pending: 0, sent: 1, delivered: 2, read: 3 };
const TICKS = { pending: '\u25F7', sent: '\u2713', delivered: '\u2713\u2713', read: '\u2713\u2713' };
const STATUS_TEXT = { pending: 'waiting to be sent', sent: 'sent', delivered: 'delivered', read: 'read' };

// A row's key: its author and its id. Ids are the sender's choice, so a member may send one this
// device uses itself (a group line is group-<group>-<version>, easy to guess) and must not thereby
// hide that line or take its row. Sent messages and the device's own lines are this account's.
function rowKey(m) {
  return m.type === 'message' ? 'from ' + m.from + ' ' + m.id : 'own ' + m.id;
}

export class Conversation {
  // ctx: { me() -> {phone, deviceId}, deviceName(id), nameOf(phone) }
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.chat = null;
    this.rows = new Map(); // rowKey(message) -> { message, node }
    this.oldest = null;
    this.more = false;
    this.loading = false;
    this.generation = 0;
    container.addEventListener('scroll', () => {
      if (this.chat && this.more && !this.loading && container.scrollTop < 400) this.loadOlder();
    });
  }

  // chat: { chat, group: boolean, name }
  async open(chat) {
    this.chat = chat;
    this.generation++;
    this.rows.clear();
    this.oldest = null;
    this.container.replaceChildren(el('p', { class: 'empty', text: 'Loading…' }));
    const messages = await this.fetch(null);
    if (this.chat !== chat) return;
    this.container.replaceChildren();
    this.more = messages.length >= PAGE;
    this.insert(messages, 'end');
    if (messages.length === 0) {
      this.container.append(el('p', { class: 'empty', id: 'chat-empty', text: 'No messages yet. Say hello.' }));
    }
    this.container.scrollTop = this.container.scrollHeight;
  }

  close() {
    this.chat = null;
    this.generation++;
    this.rows.clear();
  }

  async fetch(before) {
    const params = { limit: PAGE };
    if (this.chat.group) params.groupId = this.chat.chat;
    else params.recipient = this.chat.chat;
    if (before !== null) params.before = before;
    return (await rpc('history', params)).messages;
  }

  async loadOlder() {
    this.loading = true;
    const generation = this.generation;
    try {
      const older = (await this.fetch(this.oldest)).filter((m) => !this.rows.has(rowKey(m)));
      if (generation !== this.generation) return;
      this.more = older.length > 0;
      const height = this.container.scrollHeight;
      const top = this.container.scrollTop;
      this.insert(older, 'start');
      // Keeps the reader's place: the page grew above them.
      this.container.scrollTop = top + (this.container.scrollHeight - height);
    } finally {
      this.loading = false;
    }
  }

  // Lines the device wrote into the open chat on its own (a group change it verified): the event that
  // told of the change does not carry them, so the newest page is asked for and what is new added.
  async latest() {
    const chat = this.chat;
    if (!chat) return;
    const messages = await this.fetch(null);
    if (this.chat !== chat) return;
    for (const m of messages) {
      if (!this.rows.has(rowKey(m))) this.add(m);
    }
  }

  // Whether a message event belongs to the open chat.
  holds(m) {
    if (!this.chat) return false;
    if (this.chat.group) return m.group === this.chat.chat;
    if (m.group) return false;
    return (m.type === 'sent' ? m.to : m.from) === this.chat.chat;
  }

  // A message that arrived live (or came back as our own send).
  add(m) {
    if (!this.holds(m)) return false;
    const known = this.rows.get(rowKey(m));
    if (known) {
      this.setStatus(rowKey(m), m.status);
      return true;
    }
    // A message this device waited for (it could not decrypt it at first) takes its placeholder's place.
    const placeholder =
      m.type === 'message' ? this.rows.get(rowKey({ ...m, id: placeholderId(m.fromDevice, m.timestamp) })) : null;
    if (placeholder && placeholder.message.from === m.from) {
      const node = this.row(m);
      placeholder.node.replaceWith(node);
      this.rows = new Map([...this.rows].map(([id, row]) =>
        row === placeholder ? [rowKey(m), { message: m, node }] : [id, row]));
      return true;
    }
    document.getElementById('chat-empty')?.remove();
    const atBottom = this.container.scrollHeight - this.container.scrollTop - this.container.clientHeight < 120;
    const last = [...this.rows.values()].at(-1);
    if (last && (last.message.timestamp > m.timestamp)) {
      // Out of order (a message that waited offline): reload the recent page in order.
      this.open(this.chat);
      return true;
    }
    this.insert([m], 'end');
    if (atBottom || m.type === 'sent') this.container.scrollTop = this.container.scrollHeight;
    return true;
  }

  /**
   * A waiting event: a message that could not be decrypted here yet, asked for again from its sender
   * ({@code waiting}), or no longer expected ({@code given-up}). Its row stands where the message goes.
   */
  waiting(e) {
    const m = {
      type: 'message', id: placeholderId(e.fromDevice, e.timestamp), from: e.from, fromDevice: e.fromDevice,
      to: null, group: e.group, body: '', timestamp: e.timestamp, status: e.state,
    };
    if (!this.holds(m)) return false;
    const known = this.rows.get(rowKey(m));
    if (!known) return this.add(m);
    if (known.message.status !== e.state) {
      const node = this.row(m);
      known.node.replaceWith(node);
      known.node = node;
      known.message = m;
    }
    return true;
  }

  receipt(event) {
    // Receipts are for this account's own messages.
    for (const id of event.messageIds || []) this.setStatus(rowKey({ type: 'sent', id }), event.kind === 'read' ? 'read' : 'delivered');
  }

  setStatus(key, status) {
    const row = this.rows.get(key);
    if (!row || row.message.type !== 'sent' || !(status in RANK)) return;
    const current = RANK[row.message.status] ?? -1;
    if (RANK[status] <= current) return;
    row.message.status = status;
    row.node.dataset.status = status;
    const ticks = row.node.querySelector('.ticks');
    if (ticks) this.paintTicks(ticks, status);
  }

  paintTicks(node, status) {
    node.textContent = TICKS[status] || '';
    node.className = 'ticks ' + status;
    node.setAttribute('aria-label', STATUS_TEXT[status] || status);
    node.title = STATUS_TEXT[status] || status;
  }

  // Puts messages (oldest first) at the start or end, with a day separator wherever the day changes.
  insert(messages, where) {
    if (messages.length === 0) return;
    const fragment = document.createDocumentFragment();
    const nodes = [];
    let previousDay = where === 'end' ? this.lastDay() : null;
    for (const m of messages) {
      const day = dayKey(m.timestamp);
      if (day !== previousDay) {
        fragment.append(el('div', { class: 'day', role: 'separator', 'data-day': day }, el('span', { text: dayLabel(m.timestamp) })));
        previousDay = day;
      }
      const node = this.row(m);
      nodes.push(node);
      fragment.append(node);
    }
    if (where === 'start') {
      const firstSeparator = this.container.querySelector('.day');
      this.container.prepend(fragment);
      if (firstSeparator && firstSeparator.dataset.day === previousDay) firstSeparator.remove();
      const entries = messages.map((m, i) => [rowKey(m), { message: m, node: nodes[i] }]);
      this.rows = new Map([...entries, ...this.rows]);
      this.oldest = messages[0].timestamp;
    } else {
      this.container.append(fragment);
      messages.forEach((m, i) => this.rows.set(rowKey(m), { message: m, node: nodes[i] }));
      if (this.oldest === null) this.oldest = messages[0].timestamp;
    }
  }

  /** An attachment event: the file was fetched (or not) after its message was shown. */
  attachment(e) {
    const node = this.container.querySelector('[data-attachment="' + CSS.escape(e.id) + '"]');
    if (node) node.replaceWith(attachmentLine(e));
  }

  lastDay() {
    const separators = this.container.querySelectorAll('.day');
    return separators.length ? separators[separators.length - 1].dataset.day : null;
  }

  row(m) {
    if (m.type === 'system') {
      return el('div', { class: 'msg system', 'data-id': m.id, 'data-kind': m.kind || '' }, el('p', { text: m.body }));
    }
    if (m.type === 'message' && m.status in PLACEHOLDER) {
      return this.placeholderRow(m);
    }
    const own = m.type === 'sent';
    const me = this.ctx.me();
    const bubble = el('div', { class: 'bubble' });
    if (!own && this.chat.group) {
      bubble.append(el('p', { class: 'author', text: m.name || this.ctx.nameOf(m.from) || m.from }));
    }
    for (const a of m.attachments || []) bubble.append(attachmentLine(a));
    if (m.body) bubble.append(el('p', { class: 'body', text: m.body }));
    const meta = el('p', { class: 'meta' });
    if (own) {
      const by = m.fromDevice === me.deviceId ? 'you' : 'you, from ' + this.ctx.deviceName(m.fromDevice);
      meta.append(el('span', { class: 'by', text: by }));
    }
    meta.append(el('time', { datetime: new Date(m.timestamp).toISOString(), text: time(m.timestamp) }));
    if (own) {
      const ticks = el('span', { class: 'ticks', role: 'img' });
      this.paintTicks(ticks, m.status);
      meta.append(ticks);
    }
    bubble.append(meta);
    return el('div', { class: 'msg ' + (own ? 'out' : 'in'), 'data-id': m.id, 'data-status': m.status }, bubble);
  }

  placeholderRow(m) {
    const bubble = el('div', { class: 'bubble' });
    if (this.chat.group) bubble.append(el('p', { class: 'author', text: this.ctx.nameOf(m.from) || m.from }));
    bubble.append(el('p', { class: 'body placeholder', text: PLACEHOLDER[m.status] }));
    bubble.append(el('p', { class: 'meta' }, el('time', { datetime: new Date(m.timestamp).toISOString(), text: time(m.timestamp) })));
    return el('div', { class: 'msg in waiting', 'data-id': m.id, 'data-status': m.status }, bubble);
  }
}

// A message the local process could not decrypt yet stands in the history under this id (and status
// waiting or given-up) until it comes again from its sender's device.
const PLACEHOLDER = {
  waiting: 'Waiting for this message… It could not be decrypted on this device; the sender’s device was asked to send it again.',
  'given-up': 'This message could not be decrypted on this device and did not come again.',
};

function placeholderId(device, timestamp) {
  return 'waiting-' + device + '-' + timestamp;
}

const INLINE = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/**
 * A file of a message: a raster picture shown in the bubble, anything else a line with its name as
 * the sender gave it (text only), type, size and whether this device holds the verified file, as a
 * download link. The local process fetches and verifies a file on first request.
 */
function attachmentLine(a) {
  const href = '/web/attachment?id=' + encodeURIComponent(a.id);
  const name = a.fileName || '(no name)';
  const fetched = !!a.path;
  const state = fetched ? 'saved on this device' : a.status === 'failed' ? 'refused: ' + (a.error || '') : 'not fetched yet';
  const marks = { 'data-attachment': a.id, 'data-state': fetched ? 'fetched' : a.status };
  const line = name + ' \u00b7 ' + a.contentType + ' \u00b7 ' + size(a.size) + ' \u00b7 ' + state;
  if (a.status === 'failed') {
    return el('p', { class: 'attachment', ...marks, text: line });
  }
  if (INLINE.includes((a.contentType || '').toLowerCase())) {
    return el('a', { class: 'attachment image', ...marks, href, target: '_blank', rel: 'noopener', 'aria-label': 'Open picture ' + name },
      el('img', { class: 'att-image', src: href, alt: name, loading: 'lazy' }));
  }
  return el('a', { class: 'attachment', ...marks, href, download: name, text: line });
}

function size(bytes) {
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + ' KB';
  return (bytes / 1024 / 1024).toFixed(1) + ' MB';
}
