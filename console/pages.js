// pages.js - the console's other pages: dead letters, behaviours (C and
// Lua, their versions, the Lua source read only, the upload form), and
// the service: live charts from /metrics, the database's size and health.

import {ApiError, get, path, query, write} from './api.js';
import {writeError} from './actors.js';
import {drawChart, labelled, parseMetrics, rates, sum} from './chart.js';
import {bytes, confirmAction, field, fill, h, link, pretty,
  statusLine, when} from './ui.js';

function fail(line, e) {
  if (e.name === 'AbortError') return;
  line.show('error', e instanceof ApiError ? e.describe() : String(e));
}

// ---- dead letters -----------------------------------------------------------

export async function deadLettersPage(main, signal) {
  const table = h('div.table-wrap', {});
  const pager = h('div.pager', {});
  const line = statusLine();
  let cursors = [0];
  fill(main, h('h1', {}, 'Dead letters'),
      h('p.hint', {}, 'Messages that could not be delivered, oldest first: kept, never dropped.'),
      line, table, pager);
  async function load() {
    let r;
    try {
      r = await get(path('dead-letters') + query({limit: 50,
        after: cursors[cursors.length - 1] || ''}), signal);
    } catch (e) {
      return fail(line, e);
    }
    const list = r.body.dead_letters;
    fill(table, list.length === 0 ? h('p.empty', {}, 'No dead letters.')
      : h('table#dead-table', {},
          h('thead', {}, h('tr', {}, ['seq', 'from', 'to', 'reason', 'message', 'time']
              .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, list.map((d) => h('tr', {},
              h('td.num', {}, String(d.seq)),
              h('td', {}, d.from ? link('#/actor/' + encodeURIComponent(d.from), d.from) : 'outside'),
              h('td', {}, link('#/actor/' + encodeURIComponent(d.to), d.to)),
              h('td', {}, d.reason),
              h('td', {}, h('code', {}, pretty(d.body))),
              h('td', {}, when(d.time)))))));
    fill(pager,
        h('button.secondary', {type: 'button', disabled: cursors.length === 1,
          onclick: () => { cursors.pop(); load(); }}, '‹ Previous'),
        h('span.page', {}, `page ${cursors.length}`),
        h('button.secondary', {type: 'button', disabled: r.body.next === null,
          onclick: () => { cursors.push(r.body.next); load(); }}, 'Next ›'));
  }
  await load();
}

// ---- behaviours --------------------------------------------------------------

export async function behaviorsPage(main, signal) {
  const line = statusLine();
  const list = h('div.table-wrap', {});
  async function load() {
    let r;
    try {
      r = await get(path('behaviors'), signal);
    } catch (e) {
      return fail(line, e);
    }
    fill(list, h('table#behaviors-table', {},
        h('thead', {}, h('tr', {}, ['name', 'language', 'version', 'what it does']
            .map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, r.body.behaviors.map((b) => h('tr', {'data-name': b.name},
            h('td', {}, link('#/behavior/' + encodeURIComponent(b.name), b.name)),
            h('td', {}, h('span.lang.l-' + b.language, {}, b.language)),
            h('td.num', {}, String(b.version)),
            h('td', {}, b.doc))))));
  }
  fill(main, h('h1', {}, 'Behaviours'), line, list, uploadForm(load));
  await load();
}

// The upload form; uploaded() is called after an upload was stored.
function uploadForm(uploaded) {
  const name = h('input#upload-name', {type: 'text', placeholder: 'account',
    autocomplete: 'off', spellcheck: 'false', maxlength: 64});
  const file = h('input#upload-file', {type: 'file', accept: '.lua,text/x-lua,text/plain'});
  const source = h('textarea#upload-source.code', {rows: 10, spellcheck: 'false',
    placeholder: 'return {\n  start = function(a) ... end,\n}'});
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    source.value = await f.text();
    if (!name.value) name.value = f.name.replace(/\.lua$/, '').toLowerCase();
  });
  const line = statusLine();
  const submit = async (ev) => {
    ev.preventDefault();
    if (!/^[a-z0-9_]{1,64}$/.test(name.value)) {
      return line.show('error', 'name: 1 to 64 of a-z 0-9 _');
    }
    if (source.value.trim() === '') return line.show('error', 'the source is empty');
    const ok = await confirmAction('Upload a Lua behaviour',
        h('p', {}, `Upload ${source.value.length} bytes as `, h('strong', {}, name.value),
          ': a new version when the source differs from the newest; running actors keep theirs.'),
        'Upload');
    if (!ok) return;
    try {
      const r = await write('PUT', path('behaviors', name.value), source.value, 'text/x-lua');
      line.show('ok', `${r.body.name}: version ${r.body.version} (${r.status === 201 ? 'new' : 'the same source as before'}). `,
          link('#/behavior/' + encodeURIComponent(r.body.name), 'See it'));
      uploaded();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'uploads_disabled') {
        return line.show('error', e.describe(), ' — this actord takes no uploads (--no-upload).');
      }
      line.show(...writeError(e, `Open ${name.value} in the list: a new version there means the upload was stored.`));
    }
  };
  return h('section.card', {'aria-labelledby': 'up-h'},
      h('h2#up-h', {}, 'Upload a Lua behaviour'),
      h('p.hint', {}, 'An operator\'s route: the web server may ask who you are, and actord may take no uploads.'),
      h('form#upload-form', {onsubmit: submit},
          field('Name', name), field('Source file', file), field('Source', source),
          h('div.buttons', {}, h('button#upload-btn', {type: 'submit'}, 'Upload…')), line));
}

export async function behaviorPage(main, name, params, signal) {
  const line = statusLine();
  const box = h('div', {});
  fill(main, h('h1', {}, name), line, box);
  let b;
  try {
    b = (await get(path('behaviors', name), signal)).body;
  } catch (e) {
    return fail(line, e);
  }
  const want = Number(params.get('version')) || b.version;
  const rows = b.versions.map((v) => h('tr', {},
      h('td.num', {}, String(v.version)),
      h('td', {}, v.created ? when(v.created) : 'built in'),
      h('td.num', {}, v.actors === undefined ? '' : String(v.actors)),
      h('td', {}, b.language === 'lua'
        ? link(`#/behavior/${encodeURIComponent(name)}?version=${v.version}`,
            v.version === want ? 'shown below' : 'show source',
            v.version === want ? {'aria-current': 'true'} : {})
        : ''),
      h('td', {}, link(`#/actors?behavior=${encodeURIComponent(name)}`, 'actors'))));
  let source = null;
  if (b.language === 'lua') {
    try {
      const s = (await get(path('behaviors', name) + query({version: want, source: 1}),
          signal)).body;
      source = [h('h2', {}, `Source of version ${s.source_version}`),
        h('pre.code#behavior-source', {'aria-label': 'Lua source, read only'}, s.source)];
    } catch (e) {
      fail(line, e);
    }
  }
  fill(box,
      h('p', {}, h('span.lang.l-' + b.language, {}, b.language), ' ', b.doc),
      h('div.table-wrap', {}, h('table#versions-table', {},
          h('thead', {}, h('tr', {}, ['version', 'uploaded', 'live actors', 'source', '']
              .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, rows))),
      source);
}

// ---- the service: charts, size, health ---------------------------------------

const SPAN = 90 * 1000; // ms of history in the charts

// The samples survive a visit to another page, so that the charts go on.
const samples = [];
let lastScrape = null;

export async function servicePage(main, signal) {
  const line = statusLine();
  const health = h('span#health', {}, '…');
  const stats = h('div#service-stats', {});
  const mk = (id, title, legend) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.id = id;
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', title);
    return [svg, h('section.card.chart', {},
        h('h2', {}, title), svg,
        h('p.legend', {}, legend.map(([cls, text]) => h('span.key.' + cls, {}, text))))];
  };
  const [rateSvg, rateCard] = mk('chart-rates', 'Steps and messages per second',
      [['c1', 'steps'], ['c2', 'messages']]);
  const [reqSvg, reqCard] = mk('chart-requests', 'Requests per second', [['c3', 'requests']]);
  const [comSvg, comCard] = mk('chart-commit', 'Commit time (mean, ms)', [['c4', 'commit']]);
  fill(main, h('div.title', {}, h('h1', {}, 'Service'), h('span', {}, 'health: ', health)),
      line, stats, h('div.grid', {}, rateCard, reqCard, comCard));

  const draw = () => {
    const now = Date.now();
    // The history shown: what there is, from 20 s to SPAN.
    const span = Math.min(SPAN, Math.max(20000, samples.length ? now - samples[0].t : 0));
    const pts = (k) => samples.map((s) => [s.t, s.r[k]]);
    drawChart(rateSvg, [{name: 'steps', cls: 'c1', points: pts('steps')},
      {name: 'messages', cls: 'c2', points: pts('messages')}], {now, span});
    drawChart(reqSvg, [{name: 'requests', cls: 'c3', points: pts('requests')}],
        {now, span});
    drawChart(comSvg, [{name: 'commit', cls: 'c4', points: pts('commit_ms')}],
        {now, span, minTop: 0.1});
  };

  while (!signal.aborted) {
    try {
      const hz = await fetch(path('healthz'), {signal}).catch(() => null);
      health.className = hz && hz.ok ? 'ok' : 'bad';
      health.textContent = hz ? (hz.ok ? 'ok' : `${hz.status} unhealthy`) : 'no answer';
      const r = await get(path('metrics'), signal);
      const cur = {t: Date.now(), m: parseMetrics(r.text)};
      if (lastScrape) samples.push({t: cur.t, r: rates(lastScrape, cur)});
      lastScrape = cur;
      while (samples.length && samples[0].t < cur.t - SPAN) samples.shift();
      line.show(null);
      renderStats(stats, cur.m);
      draw();
    } catch (e) {
      if (e.name === 'AbortError' || signal.aborted) break;
      fail(line, e);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

function renderStats(box, m) {
  const statuses = ['runnable', 'waiting', 'exited', 'failed', 'killed', 'stranded'];
  const db = labelled(m, 'actord_database_bytes', 'file', 'db');
  const wal = labelled(m, 'actord_database_bytes', 'file', 'wal');
  const tile = (id, label, value) => h('div.tile', {},
      h('span.value', {id}, value), h('span.label', {}, label));
  fill(box, h('div.tiles', {},
      tile('db-size', 'database', bytes(db)),
      tile('wal-size', 'write-ahead log', bytes(wal)),
      tile('actors-total', 'actors', String(sum(m, 'actord_actors'))),
      tile('queued', 'queued messages', String(sum(m, 'actord_messages_queued'))),
      tile('timers', 'timers', String(sum(m, 'actord_timers_pending'))),
      tile('dead', 'dead letters', String(sum(m, 'actord_dead_letters'))),
      tile('waiting-req', 'waiting requests', String(sum(m, 'actord_requests_waiting')))),
  h('p.by-status', {}, statuses.map((s) =>
    h('span', {}, link(`#/actors?status=${s}`, s), ' ',
        String(labelled(m, 'actord_actors', 'status', s))))),
  h('p.hint', {}, `database ${sum(m, 'actord_up') === 1 ? 'answers' : 'does not answer'} · ` +
    `behaviours: ${labelled(m, 'actord_behaviors', 'language', 'c')} in C, ` +
    `${labelled(m, 'actord_behaviors', 'language', 'lua')} in Lua · ` +
    `${(sum(m, 'actord_commit_duration_seconds_count'))} commits since actord started`));
}
