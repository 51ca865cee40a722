// app.js - the console's router: one page per address (#/actors,
// #/actor/NAME, #/dead-letters, #/behaviors, #/behavior/NAME, #/service),
// each given an AbortSignal that stops its reads and its long-poll when
// the operator goes elsewhere.

import {BASE, onServiceState} from './api.js';
import {actorPage, actorsPage} from './actors.js';
import {behaviorPage, behaviorsPage, deadLettersPage, servicePage} from './pages.js';
import {fill, h} from './ui.js';

const main = document.getElementById('main');
const banner = document.getElementById('banner');
let current = null;
let moved = false;

onServiceState((s) => {
  if (banner.hidden === (s === 'ok')) return;
  banner.hidden = s === 'ok';
  fill(banner, s === 'ok' ? '' : 'The service does not answer (restarting?): retrying reads…');
});

function route() {
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  const hash = location.hash || '#/actors';
  const [p, qs] = hash.slice(1).split('?');
  const params = new URLSearchParams(qs || '');
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll('nav a')) {
    const on = a.getAttribute('href').slice(2) === (parts[0] || 'actors').replace(/^(actor|behavior)$/, '$1s');
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let page;
  switch (parts[0] || 'actors') {
  case 'actors': page = actorsPage(main, params, signal); break;
  case 'actor': page = actorPage(main, parts[1] || '', signal); break;
  case 'dead-letters': page = deadLettersPage(main, signal); break;
  case 'behaviors': page = behaviorsPage(main, signal); break;
  case 'behavior': page = behaviorPage(main, parts[1] || '', params, signal); break;
  case 'service': page = servicePage(main, signal); break;
  default:
    fill(main, h('h1', {}, 'Not a page of the console'), h('p', {}, h('a', {href: '#/actors'}, 'The actors')));
    return;
  }
  // After a move (not on the first page), the keyboard starts at the page.
  if (moved) main.focus({preventScroll: true});
  moved = true;
  Promise.resolve(page).catch((e) => {
    if (e.name !== 'AbortError') fill(main, h('p.status.error', {role: 'alert'}, String(e)));
  });
}

document.getElementById('base').textContent = (BASE || '') + '/';
window.addEventListener('hashchange', route);
route();
