// chart.js - GET /metrics read in the browser: the Prometheus text format
// parsed, rates computed between two scrapes, and line charts drawn as
// SVG by hand (no library).

const SVG = 'http://www.w3.org/2000/svg';

// Parses the Prometheus text format into a Map of "name{labels}" -> value
// (labels as written by actord, in its order), skipping comments.
export function parseMetrics(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    const sp = line.lastIndexOf(' ');
    if (sp < 0) continue;
    const v = Number(line.slice(sp + 1));
    if (!Number.isNaN(v)) m.set(line.slice(0, sp), v);
  }
  return m;
}

// The sum of every series of name (any labels).
export function sum(m, name) {
  let s = 0;
  for (const [k, v] of m) {
    if (k === name || k.startsWith(name + '{')) s += v;
  }
  return s;
}

// The value of the series of name with the label label="value", or 0.
export function labelled(m, name, label, value) {
  return m.get(`${name}{${label}="${value}"}`) || 0;
}

// What a pair of scrapes (prev, cur: {t: ms, m: Map}) says per second:
// steps, messages, requests; and the mean commit time in ms over the
// interval (null when nothing committed).  A restart (counters going
// down) gives null rates rather than negative ones.
export function rates(prev, cur) {
  const dt = (cur.t - prev.t) / 1000;
  const per = (name) => {
    const d = sum(cur.m, name) - sum(prev.m, name);
    return dt > 0 && d >= 0 ? d / dt : null;
  };
  const dc = sum(cur.m, 'actord_commit_duration_seconds_count') -
    sum(prev.m, 'actord_commit_duration_seconds_count');
  const ds = sum(cur.m, 'actord_commit_duration_seconds_sum') -
    sum(prev.m, 'actord_commit_duration_seconds_sum');
  return {
    steps: per('actord_steps_total'),
    messages: per('actord_messages_total'),
    requests: per('actord_requests_total'),
    commit_ms: dc > 0 && ds >= 0 ? (ds / dc) * 1000 : null,
  };
}

function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

// A number for an axis: 0, 0.5, 12, 1.2k.
function tick(v) {
  if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + 'k';
  if (v >= 10 || v === 0) return v.toFixed(0);
  return String(Number(v.toPrecision(2)));
}

// A round step (1, 2 or 5 times a power of ten) that cuts 0..top into at
// most four parts.
function niceStep(top) {
  const raw = top / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/*
 * Draws into svg (its children replaced) a line chart of series, each
 * {name, cls, points: [[t ms, value or null], ...]}, over the span ms
 * ending at now; the y axis from 0 to a round value above the largest
 * (at least minTop).  The drawing is as wide as the svg is on the
 * screen, so that its text is never stretched.  Each series is one
 * <polyline class="series CLS" data-series=NAME points="x,y ..."> (a
 * null value breaks the line into several).
 */
export function drawChart(svg, series, {now, span, minTop = 1}) {
  const W = Math.max(240, Math.round(svg.clientWidth || 600));
  const H = 200, L = 40, R = 10, T = 10, B = 22;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  let max = minTop;
  for (const s of series) {
    for (const [, v] of s.points) if (v !== null && v > max) max = v;
  }
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const x = (t) => L + ((t - (now - span)) / span) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.append(el('line', {class: 'gridline', x1: L, x2: W - R, y1: y(v), y2: y(v)}));
    const label = el('text', {class: 'axis', x: L - 6, y: y(v) + 4, 'text-anchor': 'end'});
    label.textContent = tick(v);
    svg.append(label);
  }
  const secs = span / 1000;
  const every = secs > 60 ? 30 : secs > 20 ? 10 : 5;
  for (let sec = 0; sec <= secs; sec += every) {
    const label = el('text', {class: 'axis', x: x(now - sec * 1000), y: H - 6,
      'text-anchor': sec === 0 ? 'end' : 'middle'});
    label.textContent = sec === 0 ? 'now' : `-${sec}s`;
    svg.append(label);
  }
  for (const s of series) {
    let run = [];
    const flush = () => {
      if (run.length > 0) {
        svg.append(el('polyline', {class: 'series ' + s.cls, points: run.join(' '),
          'data-series': s.name}));
      }
      run = [];
    };
    for (const [t, v] of s.points) {
      if (t < now - span) continue;
      if (v === null) flush();
      else run.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    flush();
  }
}
