// Warnings at the top of the page: each kept under a key, so the same one is shown once.
import { el, when } from './util.js';

const REASONS = {
  'removed-by-primary': 'the primary removed it',
  'primary-inactive': 'the primary was not seen for too long',
  'companion-inactive': 'it was not used for too long',
  'unlinked-self': 'it was unlinked from here',
  're-registered': 'the number was registered again',
};

export class Banners {
  constructor(container) {
    this.container = container;
    this.items = new Map();
  }

  set(key, kind, text, dismissable = true) {
    this.clear(key);
    const node = el('div', { class: 'banner ' + kind, role: kind === 'info' ? 'status' : 'alert', 'data-key': key },
      el('p', { text }));
    if (dismissable) {
      node.append(el('button', {
        type: 'button', class: 'icon-button', 'aria-label': 'Dismiss', text: '\u00D7',
        onclick: () => this.clear(key),
      }));
    }
    this.items.set(key, node);
    this.container.append(node);
  }

  clear(key) {
    this.items.get(key)?.remove();
    this.items.delete(key);
  }

  unlinked(reason, at) {
    const why = REASONS[reason] || reason;
    this.set('unlinked', 'error',
      'This browser is no longer linked (' + why + (at ? ', ' + when(at) : '') + '). '
        + 'Its chats stay readable here; to send again, link a new profile with \u2018parley web\u2019.', false);
  }

  isUnlinked() {
    return this.items.has('unlinked');
  }
}
