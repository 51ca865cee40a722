// actors.js - the pages of actors: the list (filters by behaviour,
// status and name prefix, paged by cursor: GET /actors is a range of an
// index, so page 10,000 of a million costs what page 1 does) with the
// spawn form, and one actor, kept live with the long-poll
// GET /actors/NAME?wait=S, with its actions: send, call, kill, upgrade.

import {ApiError, get, path, query, write} from './api.js';
import {badge, checkJson, confirmAction, field, fill, h, jsonBlock, link,
  pretty, statusLine, when} from './ui.js';

const STATUSES = ['runnable', 'waiting', 'exited', 'failed', 'killed',
  'stranded'];
const PAGE = 50;

// The behaviours, for the filter and the spawn form (read once a page).
async function behaviorNames(signal) {
  try {
    const r = await get(path('behaviors'), signal);
    return r.body.behaviors.map((b) => b.name);
  } catch (e) {
    return [];
  }
}

// What to tell the operator when a write's answer was lost.
export function writeError(e, unknownAdvice) {
  if (!(e instanceof ApiError)) return ['error', String(e)];
  if (e.unknown) {
    return ['warn', h('strong', {}, 'No answer: it may or may not have been done. '),
      unknownAdvice, ' (', e.describe(), ')'];
  }
  if (e.status === 503) {
    return ['error', e.describe(),
      ' — nothing was stored; try again in a moment.'];
  }
  return ['error', e.describe()];
}

// ---- the list -------------------------------------------------------------

export async function actorsPage(main, params, signal) {
  const names = await behaviorNames(signal);
  const behavior = h('select#f-behavior', {},
      h('option', {value: ''}, 'any behaviour'),
      names.map((n) => h('option', {value: n}, n)));
  const status = h('select#f-status', {},
      h('option', {value: ''}, 'any status'),
      STATUSES.map((s) => h('option', {value: s}, s)));
  const prefix = h('input#f-prefix', {type: 'search', placeholder: 'name starts with…',
    autocomplete: 'off', spellcheck: 'false', maxlength: 128});
  // Actors a page: 50, or ?limit=N in the address (1 to 1000).
  const limit = Math.min(1000, Math.max(1, Number(params.get('limit')) || PAGE));
  behavior.value = params.get('behavior') || '';
  status.value = params.get('status') || '';
  prefix.value = params.get('prefix') || '';

  const table = h('div.table-wrap', {});
  const pager = h('div.pager', {});
  const line = statusLine();
  // The cursors of the pages seen so far: [null, after of page 2, ...].
  let cursors = [null];
  let timer = null;

  async function load() {
    const q = {behavior: behavior.value, status: status.value,
      prefix: prefix.value, limit, after: cursors[cursors.length - 1]};
    line.show(null);
    let r;
    try {
      r = await get(path('actors') + query(q), signal);
    } catch (e) {
      if (e.name === 'AbortError') return;
      line.show('error', e instanceof ApiError ? e.describe() : String(e));
      return;
    }
    const actors = r.body.actors;
    fill(table, actors.length === 0 ? h('p.empty', {}, 'No actor matches.')
      : h('table#actors-table', {},
          h('thead', {}, h('tr', {}, ['name', 'behaviour', 'status', 'mailbox',
            'state', 'updated'].map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, actors.map((a) => h('tr', {'data-name': a.name},
              h('td', {}, link('#/actor/' + encodeURIComponent(a.name), a.name)),
              h('td', {}, `${a.behavior} v${a.version}`),
              h('td', {}, badge(a.status)),
              h('td.num', {}, String(a.mailbox)),
              h('td.state', {}, h('code', {}, pretty(a.state).slice(0, 80))),
              h('td', {}, when(a.updated)))))));
    const page = cursors.length;
    fill(pager,
        h('button.secondary#page-first', {type: 'button', disabled: page === 1,
          onclick: () => { cursors = [null]; load(); }}, '« First'),
        h('button.secondary#page-prev', {type: 'button', disabled: page === 1,
          onclick: () => { cursors.pop(); load(); }}, '‹ Previous'),
        h('span.page', {}, `page ${page}`),
        h('button.secondary#page-next', {type: 'button', disabled: !r.body.next,
          onclick: () => { cursors.push(r.body.next); load(); }}, 'Next ›'));
  }

  // Filters go into the address, so that a list can be bookmarked; a new
  // filter starts at the first page.
  function refilter() {
    const q = new URLSearchParams();
    if (behavior.value) q.set('behavior', behavior.value);
    if (status.value) q.set('status', status.value);
    if (prefix.value) q.set('prefix', prefix.value);
    if (limit !== PAGE) q.set('limit', limit);
    history.replaceState(null, '', '#/actors' + (q.toString() ? '?' + q : ''));
    cursors = [null];
    load();
  }
  behavior.addEventListener('change', refilter);
  status.addEventListener('change', refilter);
  prefix.addEventListener('input', () => {
    clearTimeout(timer);
    if (/[^A-Za-z0-9._~-]/.test(prefix.value)) {
      line.show('error', 'a name holds only A-Z a-z 0-9 . _ ~ -');
      return;
    }
    timer = setTimeout(refilter, 250);
  });

  fill(main,
      h('h1', {}, 'Actors'),
      h('form.filters', {role: 'search', onsubmit: (ev) => { ev.preventDefault(); refilter(); }},
          field('Behaviour', behavior), field('Status', status),
          field('Name prefix', prefix)),
      line, table, pager,
      spawnForm(names));
  await load();
}

function spawnForm(names) {
  const name = h('input#spawn-name', {type: 'text', placeholder: 'generated when empty',
    autocomplete: 'off', spellcheck: 'false', maxlength: 128});
  const behavior = h('select#spawn-behavior', {},
      names.map((n) => h('option', {value: n}, n)));
  const args = h('textarea#spawn-args', {rows: 3, spellcheck: 'false',
    placeholder: '{"start": 0}'});
  const version = h('input#spawn-version', {type: 'number', min: 1,
    placeholder: 'newest'});
  const line = statusLine();
  const submit = async (ev) => {
    ev.preventDefault();
    const a = checkJson(args.value, true);
    if (!a.ok) return line.show('error', 'args: ' + a.error);
    if (a.value !== undefined && (typeof a.value !== 'object' ||
        Array.isArray(a.value) || a.value === null)) {
      return line.show('error', 'args must be a JSON object');
    }
    const body = {behavior: behavior.value};
    if (a.value !== undefined) body.args = a.value;
    if (version.value) body.version = Number(version.value);
    const who = name.value.trim();
    const ok = await confirmAction('Spawn an actor',
        [h('p', {}, `Spawn ${who || 'an actor with a generated name'} running `,
          h('strong', {}, behavior.value), version.value ? ` version ${version.value}` : '',
          ' with args:'), jsonBlock(body.args || {})], 'Spawn');
    if (!ok) return line.show(null);
    line.show(null, 'spawning…');
    try {
      const r = who ? await write('PUT', path('actors', who), JSON.stringify(body))
        : await write('POST', path('actors'), JSON.stringify(body));
      location.hash = '#/actor/' + encodeURIComponent(r.body.name);
    } catch (e) {
      line.show(...writeError(e, who
        ? `Look for ${who} in the list; spawning it again is safe: 409 actor_exists then says the first one was created.`
        : 'An actor may have been created under a generated name: look in the list (sorted by name, a-…) before spawning again.'));
    }
  };
  return h('section.card', {'aria-labelledby': 'spawn-h'},
      h('h2#spawn-h', {}, 'Spawn an actor'),
      h('form.spawn', {onsubmit: submit},
          field('Name', name), field('Behaviour', behavior),
          field('Args (JSON object)', args), field('Version', version),
          h('div.buttons', {}, h('button#spawn-btn', {type: 'submit'}, 'Spawn…')),
          line));
}

// ---- one actor --------------------------------------------------------------

function names(list) {
  if (!list || list.length === 0) return h('span.none', {}, 'none');
  return h('ul.names', {}, list.map((n) =>
    h('li', {}, link('#/actor/' + encodeURIComponent(n), n))));
}

function kv(rows) {
  return h('dl.kv', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function renderActor(doc, box, mailbox) {
  const timers = doc.timers || [];
  fill(box,
      h('div.grid', {},
          h('section.card', {'aria-labelledby': 'ov-h'}, h('h2#ov-h', {}, 'Overview'),
              kv([['status', h('span#actor-status', {}, badge(doc.status))],
                ['behaviour', [link('#/behavior/' + encodeURIComponent(doc.behavior), doc.behavior),
                  ' ', h('span#actor-version', {}, 'version ' + doc.version)]],
                ['mailbox', h('span#actor-mailbox', {}, String(doc.mailbox))],
                ['created', when(doc.created)], ['updated', when(doc.updated)],
                ['deadline', doc.deadline ? when(doc.deadline) : 'none'],
                ['traps exits', doc.trap_exit ? 'yes' : 'no']])),
          h('section.card', {'aria-labelledby': 'st-h'}, h('h2#st-h', {}, 'State'),
              jsonBlock(doc.state, 'state'),
              doc.result !== null && doc.result !== undefined
                ? [h('h3', {}, 'Result'), jsonBlock(doc.result)] : null,
              doc.error ? [h('h3', {}, 'Error'), jsonBlock(doc.error, 'error')] : null),
          h('section.card', {'aria-labelledby': 'wf-h'}, h('h2#wf-h', {}, 'Waits for'),
              doc.waiting_for ? jsonBlock(doc.waiting_for) : h('p.none', {}, 'not in a receive')),
          h('section.card', {'aria-labelledby': 'ti-h'}, h('h2#ti-h', {}, 'Links and monitors'),
              kv([['links', names(doc.links)], ['monitors', names(doc.monitors)],
                ['monitored by', names(doc.monitored_by)]]))),
      h('section.card', {'aria-labelledby': 'tm-h'}, h('h2#tm-h', {}, `Timers (${timers.length})`),
          timers.length === 0 ? h('p.none', {}, 'none') : h('div.table-wrap', {}, h('table', {},
              h('thead', {}, h('tr', {}, ['id', 'to', 'message', 'due', 'every'].map((c) =>
                h('th', {scope: 'col'}, c)))),
              h('tbody', {}, timers.map((t) => h('tr', {},
                  h('td.num', {}, String(t.id)),
                  h('td', {}, link('#/actor/' + encodeURIComponent(t.to), t.to)),
                  h('td', {}, h('code', {}, pretty(t.message))),
                  h('td', {}, when(t.due)),
                  h('td', {}, t.every_ms ? t.every_ms + ' ms' : 'once'))))))),
      h('section.card', {'aria-labelledby': 'mb-h'},
          h('h2#mb-h', {}, `Mailbox (${mailbox ? mailbox.length : doc.mailbox} unread)`),
          !mailbox || mailbox.length === 0 ? h('p.none', {}, 'empty')
            : h('ol.mailbox#actor-mailbox-list', {}, mailbox.map((m) => h('li', {},
                h('span.seq', {}, '#' + m.seq), m.from ? h('span.from', {}, 'from ' + m.from) : null,
                h('code', {}, pretty(m.body)))))));
}

export async function actorPage(main, name, signal) {
  const title = h('h1', {}, name);
  const live = h('span.live#live', {'aria-live': 'off'}, 'loading…');
  const box = h('div#actor', {});
  const top = statusLine();
  const actions = actionsFor(name, refresh);
  fill(main, h('div.title', {}, title, live), top, box, actions);

  let doc = null;
  let seen = '';
  async function show(d) {
    doc = d;
    const key = JSON.stringify(d);
    if (key === seen) return;
    seen = key;
    let mail = null;
    try {
      mail = (await get(path('actors', name, 'mailbox') + query({limit: 100}),
          signal)).body.messages;
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    renderActor(d, box, mail);
    // An ended actor takes no message, call, kill or upgrade (410).
    const ended = ['exited', 'failed', 'killed'].includes(d.status);
    actions.classList.toggle('ended', ended);
    for (const b of actions.querySelectorAll('button')) b.disabled = ended;
  }
  // Reads the document now (after an action, say).
  async function refresh() {
    try {
      await show((await get(path('actors', name), signal)).body);
    } catch (e) {
      if (e.name !== 'AbortError') top.show('error', e.describe ? e.describe() : String(e));
    }
  }

  // Live: a long-poll answers when the actor ends or after 2 s; each
  // answer is shown if it changed.  An ended actor is read every 5 s (a
  // PUT may start a new one under its name).
  while (!signal.aborted) {
    try {
      const ended = doc && ['exited', 'failed', 'killed'].includes(doc.status);
      if (ended) await new Promise((r) => setTimeout(r, 5000));
      if (signal.aborted) break;
      const r = await get(path('actors', name) + query({wait: ended ? 0 : 2}), signal);
      top.show(null);
      live.textContent = 'live · ' + new Date().toLocaleTimeString();
      await show(r.body);
    } catch (e) {
      if (e.name === 'AbortError' || signal.aborted) break;
      live.textContent = 'not live';
      if (e instanceof ApiError && e.status === 404) {
        fill(box);
        top.show('error', e.describe());
      } else {
        top.show('warn', 'The service does not answer; trying again. ',
            e.describe ? e.describe() : String(e));
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

function actionsFor(name, refresh) {
  // Send a message: JSON checked here first, the API's own error shown.
  const msg = h('textarea#send-body', {rows: 3, spellcheck: 'false',
    placeholder: '{"add": 1}'});
  const sendLine = statusLine();
  const send = async (ev) => {
    ev.preventDefault();
    const j = checkJson(msg.value, false);
    if (!j.ok) return sendLine.show('error', j.error);
    const ok = await confirmAction('Send a message',
        [h('p', {}, 'Send to ', h('strong', {}, name), ':'), jsonBlock(j.value)], 'Send');
    if (!ok) return sendLine.show(null);
    try {
      const r = await write('POST', path('actors', name), JSON.stringify(j.value));
      sendLine.show('ok', `accepted: seq ${r.body.seq}, committed to disk.`);
      refresh();
    } catch (e) {
      sendLine.show(...writeError(e,
          `Look at ${name}'s mailbox and state before sending it again.`));
    }
  };

  const method = h('input#call-method', {type: 'text', placeholder: 'get',
    autocomplete: 'off', spellcheck: 'false'});
  const payload = h('textarea#call-payload', {rows: 2, spellcheck: 'false',
    placeholder: 'payload (JSON; empty: null)'});
  const callLine = statusLine();
  const call = async (ev) => {
    ev.preventDefault();
    if (!/^[A-Za-z0-9._~-]{1,128}$/.test(method.value)) {
      return callLine.show('error', 'method: 1 to 128 of A-Z a-z 0-9 . _ ~ -');
    }
    const j = checkJson(payload.value, true);
    if (!j.ok) return callLine.show('error', 'payload: ' + j.error);
    const ok = await confirmAction('Call a method',
        [h('p', {}, 'Call ', h('strong', {}, `${name}.${method.value}`), ' with:'),
          jsonBlock(j.value === undefined ? null : j.value)], 'Call');
    if (!ok) return callLine.show(null);
    callLine.show(null, 'waiting for the reply…');
    try {
      const r = await write('POST', path('actors', name, 'calls', method.value) +
          query({timeout: 10}), j.value === undefined ? '' : JSON.stringify(j.value));
      callLine.show('ok', 'reply: ', h('code#call-reply', {}, pretty(r.body.message)));
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'actor_exception') {
        return callLine.show('error', e.describe(), jsonBlock(e.body.exception));
      }
      callLine.show(...writeError(e,
          'The call may have been delivered: its reply, if it comes, becomes a dead letter.'));
    }
  };

  const killLine = statusLine();
  const kill = async () => {
    const ok = await confirmAction('Kill ' + name,
        h('p', {}, `${name} ends with status killed; its unread messages become dead letters, and actors linked to it are told.`),
        'Kill');
    if (!ok) return;
    try {
      await write('DELETE', path('actors', name));
      killLine.show('ok', 'killed.');
      refresh();
    } catch (e) {
      killLine.show(...writeError(e, `Reload ${name}: status killed means it was done.`));
    }
  };

  const version = h('input#upgrade-version', {type: 'number', min: 1, placeholder: 'newest'});
  const upLine = statusLine();
  const upgrade = async (ev) => {
    ev.preventDefault();
    const v = version.value ? Number(version.value) : null;
    const ok = await confirmAction('Upgrade ' + name,
        h('p', {}, `Move ${name} onto ${v ? 'version ' + v : 'the newest version'} of its behaviour, in one transaction (its migrate function decides where it goes on).`),
        'Upgrade');
    if (!ok) return;
    try {
      const r = await write('POST', path('actors', name, 'upgrade'),
          v ? JSON.stringify({version: v}) : undefined);
      upLine.show('ok', `now on version ${r.body.version}.`);
      refresh();
    } catch (e) {
      upLine.show(...writeError(e, `Reload ${name} and look at its version.`));
    }
  };

  return h('section.card.actions', {'aria-labelledby': 'act-h'},
      h('h2#act-h', {}, 'Actions'),
      h('p.hint.ended-note', {}, 'This actor has ended: it takes no more messages. A spawn under its name starts a new one.'),
      h('div.grid', {},
          h('form#send-form', {onsubmit: send}, h('h3', {}, 'Send a message'),
              field('Message (JSON)', msg),
              h('div.buttons', {}, h('button#send-btn', {type: 'submit'}, 'Send…')), sendLine),
          h('form#call-form', {onsubmit: call}, h('h3', {}, 'Call a method'),
              field('Method', method), field('Payload (JSON)', payload),
              h('div.buttons', {}, h('button#call-btn', {type: 'submit'}, 'Call…')), callLine),
          h('form#upgrade-form', {onsubmit: upgrade}, h('h3', {}, 'Upgrade'),
              field('To version', version),
              h('div.buttons', {}, h('button#upgrade-btn', {type: 'submit'}, 'Upgrade…')), upLine),
          h('div', {}, h('h3', {}, 'Kill'),
              h('p.hint', {}, 'Ends the actor for good.'),
              h('div.buttons', {}, h('button.danger#kill-btn', {type: 'button', onclick: kill}, 'Kill…')),
              killLine)));
}
