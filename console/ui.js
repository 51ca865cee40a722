// ui.js - the console's small DOM toolkit: elements, JSON shown and
// checked, the confirmation dialog, errors shown where they happen.

// h('tag.class#id', {attr: value, onclick: fn}, child, ...): an element.
// Children are nodes or strings (text, never HTML); null is skipped.
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/.exec(spec);
  const el = document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces the children of el.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// JSON for people: indented, or compact when short.
export function pretty(v) {
  const short = JSON.stringify(v);
  if (short === undefined) return 'undefined';
  return short.length <= 60 ? short : JSON.stringify(v, null, 2);
}

// A <pre> of a JSON value.
export function jsonBlock(v, cls) {
  return h('pre.json' + (cls ? '.' + cls : ''), {}, pretty(v));
}

// Parses text as JSON.  Returns {ok: true, value} or {ok: false, error}
// with where it went wrong, for the operator, before anything is sent.
export function checkJson(text, allowEmpty) {
  if (text.trim() === '') {
    return allowEmpty ? {ok: true, value: undefined}
      : {ok: false, error: 'empty: write a JSON value, e.g. {"add": 1}'};
  }
  try {
    return {ok: true, value: JSON.parse(text)};
  } catch (e) {
    return {ok: false, error: 'not JSON: ' + e.message};
  }
}

// The place of a form where its outcome is told: fn(kind, ...children)
// with kind 'error', 'ok', 'warn' or null (clears).
export function statusLine() {
  const el = h('div.status', {role: 'status', 'aria-live': 'polite'});
  el.show = (kind, ...children) => {
    el.className = 'status' + (kind ? ' ' + kind : '');
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    fill(el, ...children);
  };
  return el;
}

let dialog = null;

// Asks the operator to confirm: title, what will happen (text or nodes),
// and the label of the button that does it.  Resolves true or false.
// Escape and Cancel say no; focus starts on Cancel.
export function confirmAction(title, body, action) {
  if (dialog === null) {
    dialog = h('dialog#confirm', {'aria-labelledby': 'confirm-title'});
    document.body.append(dialog);
  }
  return new Promise((resolve) => {
    const no = h('button.secondary', {type: 'button'}, 'Cancel');
    const yes = h('button.danger#confirm-yes', {type: 'button'}, action);
    fill(dialog,
        h('h2#confirm-title', {}, title),
        h('div.confirm-body', {}, body),
        h('div.buttons', {}, no, yes));
    const done = (v) => {
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(v);
    };
    const onClose = () => done(false);
    dialog.addEventListener('close', onClose);
    no.addEventListener('click', () => done(false));
    yes.addEventListener('click', () => done(true));
    dialog.showModal();
    no.focus();
  });
}

// Times: "2026-12-01T10:00:00.123Z" as local "2026-12-01 11:00:00".
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// Bytes for people.
export function bytes(n) {
  if (!(n >= 0)) return '?';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}

// A link to a page of the console.
export function link(hash, text, attrs) {
  return h('a', Object.assign({href: hash}, attrs || {}), text);
}

// The status of an actor as a badge.
export function badge(status) {
  return h('span.badge.s-' + status, {}, status);
}

// A labelled field: label text, the control, and an optional hint.
export function field(label, control, hint) {
  const id = control.id || 'f-' + Math.random().toString(36).slice(2, 9);
  control.id = id;
  return h('div.field', {},
      h('label', {for: id}, label), control,
      hint ? h('small.hint', {}, hint) : null);
}
