// A fresh profile: show the QR code (drawn by the local process) until the primary scans it, a new
// one when it expires, then the history import's progress. Resolves with the state once linked.
import { state, startLink } from './api.js';
import { $ } from './util.js';

const POLL_MS = 700;

// mode: 'qr' (the default) or 'code' (docs/PROTOCOL.md §6.1: an 8-character code typed on the primary)
export async function showLinking(startMode) {
  let mode = startMode === 'code' ? 'code' : 'qr';
  let shown = null;
  let failures = 0;
  $('link-switch').addEventListener('click', async () => {
    mode = mode === 'qr' ? 'code' : 'qr';
    paintSwitch(mode);
    try {
      await startLink('web', mode === 'code');
      $('link-error').hidden = true;
    } catch (error) {
      showError(error.message);
    }
  });
  paintSwitch(mode);
  for (;;) {
    let current;
    try {
      current = await state();
    } catch (error) {
      showError('The Parley process does not answer: ' + error.message);
      await sleep(2000);
      continue;
    }
    const link = current.link;
    if (current.registered && (link.phase === 'done' || link.phase === 'idle')) return current;
    if (link.phase === 'importing' || (current.registered && link.phase !== 'done')) {
      showImport(link.history);
    } else if (link.phase === 'waiting') {
      const now = link.code || link.uri;
      if (now !== shown) {
        shown = now;
        if (link.code) showTypedCode(link.code);
        else showCode(link.uri);
      }
      const seconds = Math.max(0, Math.round((link.expiresAt - Date.now()) / 1000));
      $('link-expiry').textContent = 'This code is good for ' + seconds + ' more seconds; a new one follows.';
    } else {
      // idle, expired or failed: ask for a (new) code
      try {
        await startLink('web', mode === 'code');
        failures = 0;
        $('link-error').hidden = true;
        continue;
      } catch (error) {
        failures++;
        showError(error.message);
        await sleep(Math.min(10000, 1000 * failures));
      }
    }
    await sleep(POLL_MS);
  }
}

function paintSwitch(mode) {
  $('link-switch').textContent = mode === 'qr' ? 'Link with a code instead' : 'Show the QR code instead';
}

function showTypedCode(code) {
  $('link-waiting').hidden = false;
  $('link-importing').hidden = true;
  $('link-by-qr').hidden = true;
  $('link-by-code').hidden = false;
  $('link-code').textContent = code;
  $('link-code-inline').textContent = code;
}

function showCode(uri) {
  $('link-by-qr').hidden = false;
  $('link-by-code').hidden = true;
  $('link-waiting').hidden = false;
  $('link-importing').hidden = true;
  // The image is drawn by the local process from the same line; the query only defeats caching.
  $('qr').src = '/web/qr.png?for=' + encodeURIComponent(uri.slice(-16));
  $('link-uri').value = uri;
}

function showImport(history) {
  $('link-waiting').hidden = true;
  $('link-importing').hidden = false;
  const bar = $('import-progress');
  if (!history) {
    bar.removeAttribute('value');
    $('import-text').textContent = 'Linked. Waiting for your history from the primary\u2026';
    return;
  }
  let percent;
  if (history.state === 'downloading') percent = history.bytes ? (50 * history.downloaded) / history.bytes : 0;
  else if (history.state === 'importing') percent = 50 + (history.records ? (50 * history.imported) / history.records : 0);
  else percent = 100;
  bar.value = Math.round(percent);
  $('import-text').textContent = history.state === 'importing'
    ? 'Importing your history: ' + history.imported + ' of ' + history.records + ' records'
    : history.state === 'downloading' ? 'Downloading your history\u2026' : 'History imported.';
}

function showError(text) {
  $('link-error').textContent = text;
  $('link-error').hidden = false;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
