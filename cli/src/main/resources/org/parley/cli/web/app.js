// The web companion's page: login, linking, then the chats. Keys never come here; every action is
// a JSON-RPC call to the local process, every change arrives as a server-sent event.
import { rpc, login, state, events, ApiError } from './api.js';
import { $, debounce } from './util.js';
import { Conversation } from './conversation.js';
import { showLinking } from './linking.js';
import { Banners } from './banners.js';
import { Sidebar } from './sidebar.js';
import { GroupPanel } from './groups.js';

const page = {
  me: null,
  devices: new Map(),
  contacts: new Map(),
  groups: new Map(), // id -> the group as listGroups answered: { id, name, admin, members: [{ phone, admin }] }
  groupsKnown: false,
  chats: [],
  open: null,
  source: null,
};

const banners = new Banners($('banners'));

function show(screen) {
  for (const id of ['screen-start', 'screen-link', 'screen-app']) $(id).hidden = id !== screen;
}

async function main() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token) {
    // The token is good once; it leaves the address bar (and the browser's history) at once.
    history.replaceState(null, '', location.pathname);
    try {
      await login(token);
    } catch (error) {
      // Maybe this browser has a session already; the state call below tells.
    }
  }
  let current;
  try {
    current = await state();
  } catch (error) {
    $('start-text').textContent = error instanceof ApiError && error.status === 401
      ? 'This page needs the login link that \u2018parley web\u2019 printed. Run it again for a new one.'
      : 'The Parley process does not answer: ' + error.message;
    return;
  }
  if (!current.registered) {
    show('screen-link');
    current = await showLinking(fragment.get('link'));
  }
  startApp(current);
}

const conversation = new Conversation($('messages'), {
  me: () => page.me,
  deviceName: (id) => page.devices.get(id)?.name || 'device ' + id,
  nameOf: (phone) => page.contacts.get(phone),
});

const sidebar = new Sidebar({
  page,
  openChat,
  unlinkSelf,
  rpc,
});

const groupPanel = new GroupPanel({
  page,
  rpc,
  // A change made here: its answer is the group as it is now, no need to ask again.
  changed: async (view) => {
    if (view) page.groups.set(view.id, view);
    sidebar.renderGroups();
    groupsChanged();
    refreshChatsSoon();
  },
  left: async () => {
    await sidebar.refreshGroups();
    groupsChanged();
    refreshChatsSoon();
  },
});

async function startApp(current) {
  page.me = current;
  show('screen-app');
  document.body.dataset.ready = 'true';
  $('me').textContent = (current.phone || '') + (current.deviceName ? ' \u00B7 ' + current.deviceName : '');
  if (current.unlinked) banners.unlinked(current.unlinked, current.unlinkedAt);
  page.source = events(current.lastEventId, onEvent, onConnection);
  await Promise.all([sidebar.refreshDevices(), sidebar.refreshContacts(), sidebar.refreshChats(), sidebar.refreshGroups()]);
  wireComposer();
  performance.mark('parley-interactive'); // read by the benchmark (BENCHMARKS.md)
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && page.open) markRead();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && page.open && document.body.classList.contains('in-chat')) closeChat();
  });
  $('back').addEventListener('click', closeChat);
}

function onConnection(status) {
  document.body.dataset.events = status;
  if (status === 'reconnecting') banners.set('connection', 'info', 'Reconnecting to the Parley process\u2026');
  else if (status === 'closed') sessionEnded();
  else banners.clear('connection');
}

// The process restarted (sessions live in its memory) or this session was dropped: only a new
// login link helps, and saying so beats a page that silently stops.
function sessionEnded() {
  page.source?.close();
  banners.clear('connection');
  banners.set('session', 'error',
    'This page is no longer logged in (the Parley process restarted?). Open the link that \u2018parley web\u2019 printed; run it again for a new one.', false);
  setComposerEnabled(false);
}
window.addEventListener('parley-session-ended', sessionEnded);

const refreshChatsSoon = debounce(() => sidebar.refreshChats(), 150);

function onEvent(e) {
  window.dispatchEvent(new CustomEvent('parley-event', { detail: e })); // for measurements
  switch (e.type) {
    case 'message':
    case 'sent':
    case 'system': {
      const shown = conversation.add(e);
      if (shown && e.type === 'message' && !document.hidden) markRead();
      refreshChatsSoon();
      break;
    }
    case 'receipt':
      conversation.receipt(e);
      break;
    case 'attachment':
      conversation.attachment(e);
      break;
    case 'read':
    case 'contact-name':
    case 'chat-state':
    case 'label':
    case 'labelled':
    case 'assigned':
    case 'note':
    case 'history-sync':
      if (e.type === 'contact-name') sidebar.refreshContacts();
      refreshChatsSoon();
      break;
    case 'group':
      // Another admin (or this account's other device) changed a group: the list, the open chat's
      // header and the panel follow without a reload.
      sidebar.refreshGroups().then(groupsChanged, () => {});
      refreshChatsSoon();
      break;
    case 'group-warning':
      banners.set('group-warning-' + e.group + '-' + e.code, 'warn', e.message);
      break;
    case 'waiting':
      conversation.waiting(e);
      refreshChatsSoon();
      break;
    case 'unlinked':
      banners.unlinked(e.reason, e.at);
      setComposerEnabled(false);
      break;
    case 'warning':
      if (e.unlinkAt) {
        banners.set('inactive', 'warn', e.message + ' (unlink on ' + new Date(e.unlinkAt).toLocaleString() + ')');
      } else if (['safety-number-changed', 'untrusted-device', 'device-list-refused'].includes(e.code)) {
        banners.set('warning-' + e.code, 'warn', e.message);
      }
      break;
    case 'identity-changed':
      banners.set('identity-' + e.phone, 'warn',
        'The safety number of ' + (page.contacts.get(e.phone) || e.phone) + ' changed'
          + (e.held ? ': messages wait until you accept it with \u2018parley trust ' + e.phone + '\u2019.' : '.')
          + ' Compare the new one in person: ' + e.newSafetyNumber);
      break;
    case 'untrusted':
      banners.set('untrusted-' + e.from + '-' + e.fromDevice, 'warn',
        'A message claiming to be from ' + e.from + ' (device ' + e.fromDevice + ') was set aside: ' + e.message);
      break;
    default:
      break;
  }
}

async function openChat(chat) {
  page.open = chat;
  document.body.classList.add('in-chat');
  groupPanel.chatOpened(chat);
  chatHeader();
  $('composer').hidden = false;
  sidebar.markOpen(chat.chat);
  await conversation.open(chat);
  if (chat.unread > 0 || chat.markedUnread) markRead();
  $('compose').focus();
}

// The open chat's title and line under it; a group's from the group as last listed.
function chatHeader() {
  const chat = page.open;
  if (!chat) return;
  const group = chat.group ? page.groups.get(chat.chat) : null;
  const gone = chat.group && page.groupsKnown && !group;
  $('chat-title').textContent = group?.name || chat.name || chat.chat;
  if (chat.group) {
    $('chat-sub').textContent = gone ? 'Group · you are not a member any more'
      : 'Group' + (group ? ' · ' + group.members.length + ' members' + (group.admin ? ' · you are an admin' : '') : '');
  } else {
    $('chat-sub').textContent = chat.name && chat.name !== chat.chat ? chat.chat : '';
  }
  setComposerEnabled(!page.me.unlinked && !banners.isUnlinked() && !gone);
}

function groupsChanged() {
  if (page.open?.group) {
    chatHeader();
    groupPanel.render();
    // The change is a line in the chat, which the device wrote as it checked the change.
    conversation.latest().catch(() => {});
  }
}

function closeChat() {
  document.body.classList.remove('in-chat');
  sidebar.focusOpen();
}

// Opening a chat reads it: here, on the other own devices (read sync) and for the senders (receipts).
const markRead = debounce(async () => {
  const chat = page.open;
  if (!chat || banners.isUnlinked()) return;
  try {
    await rpc('markRead', chat.group ? { groupId: chat.chat } : { recipient: chat.chat });
    chat.unread = 0;
    sidebar.refreshChats();
  } catch (error) {
    banners.set('read', 'info', 'Could not mark the chat read: ' + error.message);
  }
}, 100);

function setComposerEnabled(enabled) {
  $('compose').disabled = !enabled;
  $('send').disabled = !enabled;
}

function wireComposer() {
  const compose = $('compose');
  const autosize = () => {
    compose.style.height = 'auto';
    compose.style.height = Math.min(compose.scrollHeight, 160) + 'px';
    compose.classList.toggle('tall', compose.scrollHeight > 160);
  };
  compose.addEventListener('input', autosize);
  compose.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = compose.value;
    const chat = page.open;
    if (!chat || text.trim() === '') return;
    compose.value = '';
    autosize();
    try {
      const sent = await rpc('send', chat.group ? { groupId: chat.chat, message: text } : { recipient: chat.chat, message: text });
      conversation.add({
        type: 'sent', id: sent.id, from: page.me.phone, fromDevice: page.me.deviceId, to: chat.group ? null : chat.chat,
        group: chat.group ? chat.chat : null, body: text, timestamp: sent.timestamp, status: sent.status,
      });
      refreshChatsSoon();
    } catch (error) {
      compose.value = text;
      banners.set('send', 'error', 'Not sent: ' + error.message);
    }
  });
}

async function unlinkSelf() {
  if (!confirm('Unlink this browser? It stops receiving; linking again needs the primary.')) return;
  try {
    await rpc('removeDevice', { self: true });
  } catch (error) {
    banners.set('unlink', 'error', 'Could not unlink: ' + error.message);
  }
}

main();
