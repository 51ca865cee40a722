// console.mjs - the browser test of actord's console, run by
// tests/integration/test_console.sh against the nginx and actord it
// started (BASE, e.g. http://127.0.0.1:PORT), with Debian's chromium
// headless through playwright-core.  Prints one line a result, read by
// the shell test: "ok DESC", "FAIL DESC: WHY", "shot PATH: WHAT".
//
//   [CONSOLE_FLAGS=DIR] node console.mjs BASE SHOTS_DIR [PREFIX_BASE]
//
// PREFIX_BASE (optional) is the same service mounted under a prefix
// (http://127.0.0.1:PORT/actord): the console is opened there too.

import fs from 'node:fs';
import {chromium} from 'playwright-core';

const [BASE, SHOTS, PREFIX_BASE] = process.argv.slice(2);
// A folder where this test asks test_console.sh to kill actord
// (kill-actord) and to start it again (start-actord), or undefined.
const FLAGS = process.env.CONSOLE_FLAGS;
const T = 10000; // ms any one thing may take
let failed = 0;

function ok(desc) {
  console.log('ok ' + desc);
}
function fail(desc, why) {
  failed++;
  console.log(`FAIL ${desc}: ${String(why).split('\n')[0]}`);
}
// Runs one step; a failure is reported and the test goes on when it can.
async function step(desc, fn) {
  try {
    await fn();
    ok(desc);
    return true;
  } catch (e) {
    fail(desc, e.message || e);
    return false;
  }
}
async function shot(page, name, what) {
  const file = `${SHOTS}/${name}.png`;
  await page.screenshot({path: file, fullPage: true});
  console.log(`shot ${file}: ${what}`);
}
function assert(cond, why) {
  if (!cond) throw new Error(why);
}
// Confirms the open dialog.
async function confirm(page) {
  await page.locator('dialog#confirm[open] #confirm-yes').click({timeout: T});
}

const GREETER = `-- greeter: a small Lua behaviour uploaded by the console test
return {
  doc = "greets whom it is told: state.greeting; {name = S} renames",
  start = function(a)
    a.state.greeting = "hello, " .. (a.args.who or "nobody")
    a.state.seen = 0
    return a:receive("ready", {{name = "$string"}})
  end,
  ready = function(a, msg)
    a.state.seen = a.state.seen + 1
    a.state.greeting = "hello, " .. msg.name
    return a:receive("ready", a.waiting_for)
  end,
}
`;

const browser = await chromium.launch({executablePath: process.env.CHROMIUM ||
  '/usr/bin/chromium', headless: true});
const context = await browser.newContext({viewport: {width: 1280, height: 860}});
const page = await context.newPage();
page.setDefaultTimeout(T);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

try {
  // ---- the actors ------------------------------------------------------------
  await step('GET /console redirects to /console/ and the actors page lists c1', async () => {
    await page.goto(BASE + '/console', {timeout: T});
    assert(new URL(page.url()).pathname === '/console/', 'at ' + page.url());
    await page.locator('#actors-table tr[data-name="c1"]').waitFor({timeout: T});
  });
  await step('the keyboard reaches the skip link first, then the pages', async () => {
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.className) === 'skip',
        'the first Tab stop is not the skip link');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.textContent) === 'Actors',
        'the second Tab stop is not the Actors link');
  });
  await step('pages of 5 go forward by cursor and back', async () => {
    const names = () => page.evaluate(() =>
      [...document.querySelectorAll('#actors-table tbody tr')].map((r) => r.dataset.name).join(' '));
    await page.goto(BASE + '/console/#/actors?limit=5', {timeout: T});
    await page.waitForFunction(() =>
      document.querySelectorAll('#actors-table tbody tr').length === 5, null, {timeout: T});
    const first = await names();
    await page.click('#page-next');
    await page.waitForFunction((f) => [...document.querySelectorAll('#actors-table tbody tr')]
      .map((r) => r.dataset.name).join(' ') !== f, first, {timeout: T});
    const second = await names();
    assert(second.split(' ')[0] > first.split(' ')[4], `page 2 (${second}) is not after page 1 (${first})`);
    assert((await page.textContent('.page')) === 'page 2', 'not page 2');
    await page.click('#page-prev');
    await page.waitForFunction((f) => [...document.querySelectorAll('#actors-table tbody tr')]
      .map((r) => r.dataset.name).join(' ') === f, first, {timeout: T});
    await page.goto(BASE + '/console/#/actors', {timeout: T});
    await page.locator('#actors-table tr[data-name="tick"]').waitFor({timeout: T});
  });
  await step('the name prefix filter keeps the eight p-0…', async () => {
    await page.fill('#f-prefix', 'p-0');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#actors-table tbody tr')];
      return rows.length === 8 && rows.every((r) => r.dataset.name.startsWith('p-0'));
    }, null, {timeout: T});
    assert(page.url().includes('prefix=p-0'), 'the filter is not in the address');
    await page.fill('#f-prefix', '');
    await page.locator('#actors-table tr[data-name="c1"]').waitFor({timeout: T});
  });
  await step('the status filter keeps the killed actor "gone"', async () => {
    await page.selectOption('#f-status', 'killed');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#actors-table tbody tr')];
      return rows.length === 1 && rows[0].dataset.name === 'gone';
    }, null, {timeout: T});
    await page.selectOption('#f-status', '');
    await page.locator('#actors-table tr[data-name="c1"]').waitFor({timeout: T});
  });
  await shot(page, 'actors', 'the actors page: filters, the list of counters, supervisor, ticker, timer, and the spawn form');

  // ---- one actor: send, call, kill -------------------------------------------
  await step('c1 opens with its state, mailbox, behaviour and version', async () => {
    await page.click('#actors-table tr[data-name="c1"] a');
    await page.locator('#actor-status').waitFor({timeout: T});
    const state = await page.textContent('pre.state');
    assert(JSON.parse(state).count === 1, 'state is ' + state);
    assert((await page.textContent('#actor-version')) === 'version 1', 'no version');
    assert((await page.textContent('#actor-mailbox-list')).includes('"hello":"world"'),
        'the unread hello is not in the mailbox');
  });
  await step('a message that is not JSON is refused before it is sent', async () => {
    await page.fill('#send-body', '{add: 41}');
    await page.click('#send-btn');
    await page.locator('#send-form .status.error').waitFor({timeout: T});
    assert((await page.textContent('#send-form .status')).includes('not JSON'), 'no JSON error');
    assert(!(await page.locator('dialog#confirm[open]').count()), 'a dialog opened');
  });
  await step('Escape cancels the confirmation: nothing is sent', async () => {
    await page.fill('#send-body', '{"add": 41}');
    await page.click('#send-btn');
    await page.locator('dialog#confirm[open]').waitFor({timeout: T});
    await page.keyboard.press('Escape');
    await page.locator('dialog#confirm[open]').waitFor({state: 'detached', timeout: T})
      .catch(() => {});
    assert(!(await page.locator('dialog#confirm[open]').count()), 'the dialog stayed');
    assert(!(await page.textContent('#send-form .status')).includes('accepted'), 'it was sent');
  });
  await step('sending {"add": 41} from the console: the count becomes 42', async () => {
    await page.click('#send-btn');
    await confirm(page);
    await page.locator('#send-form .status.ok').waitFor({timeout: T});
    await page.waitForFunction(() => {
      const s = document.querySelector('pre.state');
      try { return s && JSON.parse(s.textContent).count === 42; } catch (e) { return false; }
    }, null, {timeout: T});
  });
  await step('the API\'s error is shown as it gives it: a call of no method', async () => {
    await page.fill('#call-method', 'nosuch');
    await page.click('#call-btn');
    await confirm(page);
    await page.locator('#call-form .status.error').waitFor({timeout: T});
    const t = await page.textContent('#call-form .status');
    assert(t.includes('404 invalid_method'), t);
  });
  await step('calling get answers 42', async () => {
    await page.fill('#call-method', 'get');
    await page.click('#call-btn');
    await confirm(page);
    await page.locator('#call-reply').waitFor({timeout: T});
    assert((await page.textContent('#call-reply')) === '42', 'reply ' +
      (await page.textContent('#call-reply')));
  });
  await shot(page, 'actor', 'counter c1 after the console sent {"add": 41} and called get: state, mailbox, actions');
  await step('killing c1 from the console: its status becomes killed', async () => {
    await page.click('#kill-btn');
    await confirm(page);
    await page.waitForFunction(() =>
      document.querySelector('#actor-status')?.textContent === 'killed', null, {timeout: T});
  });

  // ---- the service restarts underneath ---------------------------------------
  if (FLAGS) {
    await step('actord killed under the page: reads wait and retry, a send says what to check', async () => {
      await page.goto(BASE + '/console/#/actor/p-02', {timeout: T});
      await page.locator('#actor-status').waitFor({timeout: T});
      fs.writeFileSync(FLAGS + '/kill-actord', '');
      await page.waitForFunction(() => /not live|trying again|retrying/.test(
        document.body.textContent), null, {timeout: T});
      await page.fill('#send-body', '{"add": 100}');
      await page.click('#send-btn');
      await confirm(page);
      await page.locator('#send-form .status.warn, #send-form .status.error').waitFor({timeout: T});
      const t = await page.textContent('#send-form .status');
      assert(/unavailable|No answer/.test(t), t);
      assert(/mailbox and state/.test(t) || /nothing was stored/.test(t), 'no advice: ' + t);
      fs.writeFileSync(FLAGS + '/start-actord', '');
      await page.waitForFunction(() => /^live/.test(document.querySelector('#live')?.textContent),
          null, {timeout: 20000});
      await page.locator('#banner').waitFor({state: 'hidden', timeout: T});
      const state = JSON.parse(await page.textContent('pre.state'));
      assert(state.count === 2, 'p-02 counts ' + state.count + ': the lost send was done after all?');
    });
    await shot(page, 'restart', 'p-02 after actord was killed and started again under the page: the send refused while it was down, with what to check');
  }

  // ---- an actor with ties and timers -----------------------------------------
  await step('the supervisor shows its link, the ticker its watcher, the timer its timer', async () => {
    await page.goto(BASE + '/console/#/actor/sup', {timeout: T});
    await page.waitForFunction(() => document.querySelector('#actor')?.textContent.includes('sup-c'),
        null, {timeout: T});
    await page.goto(BASE + '/console/#/actor/tick', {timeout: T});
    await page.waitForFunction(() => document.querySelector('#actor')?.textContent.includes('log'),
        null, {timeout: T});
    await page.goto(BASE + '/console/#/actor/alarm', {timeout: T});
    await page.waitForFunction(() => /Timers \(1\)/.test(document.querySelector('#actor')?.textContent),
        null, {timeout: T});
  });
  await shot(page, 'actor-timer', 'the timer actor "alarm": its durable timer to log, every 600000 ms');
  await step('the ticker is live: its ticks go up on the page by themselves', async () => {
    await page.goto(BASE + '/console/#/actor/tick', {timeout: T});
    await page.locator('pre.state').waitFor({timeout: T});
    const ticks = () => page.evaluate(() => JSON.parse(document.querySelector('pre.state').textContent).ticks);
    const first = await ticks();
    await page.waitForFunction((n) => {
      try { return JSON.parse(document.querySelector('pre.state').textContent).ticks > n; } catch (e) { return false; }
    }, first, {timeout: T});
  });

  // ---- dead letters ----------------------------------------------------------
  await step('the dead letters list c1\'s unread hello, left at its kill', async () => {
    await page.click('nav a[href="#/dead-letters"]');
    await page.waitForFunction(() => {
      const t = document.querySelector('#dead-table')?.textContent || '';
      return t.includes('unread at kill') && t.includes('"hello":"world"');
    }, null, {timeout: T});
  });
  await shot(page, 'dead-letters', 'the dead letters: the unread messages of the killed actors c1 and gone');

  // ---- behaviours: upload a Lua one, spawn it ----------------------------------
  await step('the behaviours page lists the C ones', async () => {
    await page.click('nav a[href="#/behaviors"]');
    await page.locator('#behaviors-table tr[data-name="counter"]').waitFor({timeout: T});
  });
  await step('uploading the Lua behaviour greeter: version 1', async () => {
    await page.fill('#upload-name', 'greeter');
    await page.fill('#upload-source', GREETER);
    await page.click('#upload-btn');
    await confirm(page);
    await page.locator('#upload-form .status.ok').waitFor({timeout: T});
    const t = await page.textContent('#upload-form .status');
    assert(t.includes('greeter: version 1'), t);
  });
  await step('the list of behaviours shows greeter, in Lua, at once', async () => {
    await page.locator('#behaviors-table tr[data-name="greeter"]').waitFor({timeout: T});
    assert((await page.textContent('#behaviors-table tr[data-name="greeter"]')).includes('lua'),
        'greeter is not Lua');
  });
  await shot(page, 'behaviors', 'the behaviours: the C ones and the uploaded Lua greeter, with the upload form');
  await step('greeter\'s page shows its versions and its source, read only', async () => {
    await page.click('#behaviors-table tr[data-name="greeter"] a');
    await page.locator('#behavior-source').waitFor({timeout: T});
    assert((await page.textContent('#behavior-source')).includes('a.state.greeting'), 'no source');
    assert(!(await page.locator('#behavior-source[contenteditable]').count()), 'editable');
  });
  await shot(page, 'behavior', 'the Lua behaviour greeter: its version 1 and its source');
  await step('spawning g1 of greeter from the console: its state greets the world', async () => {
    await page.click('nav a[href="#/actors"]');
    await page.locator('#spawn-behavior option[value="greeter"]').waitFor({state: 'attached', timeout: T});
    await page.fill('#spawn-name', 'g1');
    await page.selectOption('#spawn-behavior', 'greeter');
    await page.fill('#spawn-args', '{"who": "world"}');
    await page.click('#spawn-btn');
    await confirm(page);
    await page.waitForFunction(() => {
      const s = document.querySelector('pre.state');
      try { return JSON.parse(s.textContent).greeting === 'hello, world'; } catch (e) { return false; }
    }, null, {timeout: T});
    assert(page.url().endsWith('#/actor/g1'), 'at ' + page.url());
  });
  await shot(page, 'actor-lua', 'g1, an actor of the uploaded Lua behaviour greeter');

  // ---- the service: charts, size, health ---------------------------------------
  await step('the service page charts steps and messages, requests and commits', async () => {
    await page.click('nav a[href="#/service"]');
    // Traffic for the charts: 60 messages to p-01 over 3 s.
    for (let i = 0; i < 30; i++) {
      await Promise.all([1, 2].map(() => fetch(BASE + '/actors/p-01', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{"add":1}'})));
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.waitForFunction(() => {
      const n = (sel) => [...document.querySelectorAll(sel)].reduce((k, p) =>
        Math.max(k, p.getAttribute('points').trim().split(/\s+/).length), 0);
      return n('#chart-rates polyline[data-series="steps"]') >= 3 &&
        n('#chart-rates polyline[data-series="messages"]') >= 3 &&
        n('#chart-requests polyline') >= 3 && n('#chart-commit polyline') >= 2;
    }, null, {timeout: T});
    const top = await page.evaluate(() => Math.max(...[...document.querySelectorAll(
        '#chart-rates polyline[data-series="messages"]')].flatMap((p) =>
      p.getAttribute('points').trim().split(/\s+/).map((xy) => 200 - Number(xy.split(',')[1])))));
    assert(top > 30, 'the messages line stays at the bottom: ' + top);
    assert((await page.textContent('#health')) === 'ok', 'health is not ok');
    assert(/[1-9]/.test(await page.textContent('#db-size')), 'no database size');
  });
  await shot(page, 'service', 'the service: health, database size, actors by status, and the live charts');

  // ---- a phone's width ---------------------------------------------------------
  await step('at a phone\'s width the pages fit the screen', async () => {
    await page.setViewportSize({width: 390, height: 844});
    for (const hash of ['#/actors', '#/actor/c1', '#/service']) {
      await page.goto(BASE + '/console/' + hash, {timeout: T});
      await page.waitForTimeout(600);
      const over = await page.evaluate(() =>
        document.documentElement.scrollWidth - window.innerWidth);
      assert(over <= 1, `${hash} is ${over}px wider than the screen`);
    }
  });
  await shot(page, 'phone-service', 'the service page at a phone\'s width (390 px)');
  await page.goto(BASE + '/console/#/actor/c1', {timeout: T});
  await page.locator('#actor-status').waitFor({timeout: T}).catch(() => {});
  await shot(page, 'phone-actor', 'the killed c1 at a phone\'s width (390 px)');

  // ---- under a prefix ----------------------------------------------------------
  if (PREFIX_BASE) {
    await step('under the prefix /actord the console reads the API there', async () => {
      await page.setViewportSize({width: 1280, height: 860});
      await page.goto(PREFIX_BASE + '/console', {timeout: T});
      assert(new URL(page.url()).pathname === new URL(PREFIX_BASE).pathname + '/console/',
          'at ' + page.url());
      await page.locator('#actors-table tr[data-name="g1"]').waitFor({timeout: T});
      assert((await page.textContent('#base')) === new URL(PREFIX_BASE).pathname + '/',
          'base ' + (await page.textContent('#base')));
    });
    await shot(page, 'prefix', 'the console under the production site\'s /actord/ prefix');
  }

  await step('no error in the browser\'s console', async () => {
    // The 404 of c9 and invalid_method are answers, not errors of the page.
    const real = errors.filter((e) => !/status of (404|502)/.test(e));
    assert(real.length === 0, real.join(' | '));
  });
} catch (e) {
  fail('the browser test', e.message || e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
