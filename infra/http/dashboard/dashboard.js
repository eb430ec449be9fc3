// devloop's dashboard: the pipeline live, from the public API only.
//
// The page folds the event log of GET /v1/events (NDJSON, history first, then
// live) into a model and renders it; GET /v1/state supplies what the log does
// not carry (the auto triggers); while a trigger is off, devloop's own GET
// /devloop/v1/pending says what waits for it (polled: no event announces a
// change that waits); GET /v2/applicationLogs (the v2 API's
// ApplicationLogs stream) the application's log lines, filtered by artifact
// and a search box, tagged in the console's colours. When a stream ends
// (devloop stopped or restarted) the page reconnects by itself and starts
// over from an empty model, since every new stream starts with the whole
// history: nothing is shown twice. Control buttons call POST /v1/execute and
// PUT /v1/{phase}/auto_execute. Text from events is always set as text, never
// as markup.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const PHASES = ['build', 'sync', 'deploy'];
  const MAX_ROWS = 200;  // iterations and syncs kept on the page

  const PENDING_POLL_MS = 1000;  // while an auto trigger is off

  // Resolves once the browser has painted the page's own markup (its first
  // contentful paint is recorded): the streams' history (a long log folds for
  // tens of milliseconds) waits for it, so it never holds back that paint on
  // a busy machine. A hidden page never paints, and a browser without paint
  // timing says nothing: then after a short wait.
  const painted = new Promise((resolve) => {
    const FALLBACK_MS = 300;
    if (document.visibilityState === 'hidden' || !('PerformanceObserver' in window) ||
        !(PerformanceObserver.supportedEntryTypes || []).includes('paint')) {
      setTimeout(resolve, 0);
      return;
    }
    const observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => e.name === 'first-contentful-paint')) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe({type: 'paint', buffered: true});
    setTimeout(resolve, FALLBACK_MS);
  });

  let model = emptyModel();
  let pending = null;  // the last answer of /devloop/v1/pending
  let renderQueued = false;
  let stateQueued = false;

  function emptyModel() {
    return {
      artifacts: new Map(),  // image -> {build, started, took, error, lastSync}
      resources: new Map(),  // name -> {status, message}
      ports: new Map(),      // local port -> PortEvent
      syncs: [],             // newest last
      iterations: [],        // newest last
      errors: [],
      build: 'Not Started', sync: 'Not Started', deploy: 'Not Started', check: 'Not Started',
      auto: {build: null, sync: null, deploy: null},
      current: null,         // the iteration in progress
    };
  }

  // RFC 3339 with up to nanoseconds -> milliseconds since the epoch.
  function when(ts) {
    if (!ts) return NaN;
    return Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));
  }

  function seconds(msValue) {
    if (!(msValue >= 0)) return '';
    return msValue < 1000 ? `${Math.round(msValue)} ms` : `${(msValue / 1000).toFixed(2)} s`;
  }

  function clock(msValue) {
    return isNaN(msValue) ? '' : new Date(msValue).toLocaleTimeString();
  }

  function errorOf(e) {
    const actionable = e.actionableErr || e.err || {};
    const message = (typeof e.err === 'string' && e.err) || actionable.message || '';
    const suggestions = (actionable.suggestions || []).map((s) => s.action).filter(Boolean);
    return message ? {message, suggestion: suggestions.join('; ')} : null;
  }

  // Marks the start or the end of a phase in the current iteration.
  function phase(name, status, t) {
    const it = model.current;
    if (!it) return;
    const p = it.phases[name] || (it.phases[name] = {start: t, end: NaN});
    if (status === 'In Progress' || status === 'Started') {
      if (isNaN(p.start)) p.start = t;
    } else {
      p.end = t;
    }
    if (!it.trigger) it.trigger = name === 'build' ? (it.n === 0 ? 'initial' : 'rebuild')
                                : name === 'sync' ? 'file sync' : name;
  }

  function noteError(kind, e, t) {
    const err = errorOf(e);
    if (err) model.errors.push({kind, t, ...err});
    return err;
  }

  function apply(entry) {
    const t = when(entry.timestamp);
    const ev = entry.event || {};
    if (ev.devLoopEvent) {
      const d = ev.devLoopEvent;
      if (d.status === 'In Progress') {
        model.current = {n: d.iteration, start: t, end: NaN, status: d.status, trigger: '', phases: {}};
        model.iterations.push(model.current);
        if (model.iterations.length > MAX_ROWS) model.iterations.shift();
      } else {
        const it = model.iterations.find((i) => i.n === d.iteration) || model.current;
        if (it) { it.status = d.status; it.end = t; }
        if (d.err && d.err.message) noteError(`iteration ${d.iteration}`, {actionableErr: d.err}, t);
        model.current = null;
      }
    } else if (ev.buildEvent) {
      const b = ev.buildEvent;
      const a = model.artifacts.get(b.artifact) || {build: 'Not Started', started: NaN, took: NaN, error: null, lastSync: null};
      a.build = b.status;
      if (b.status === 'In Progress') { a.started = t; a.took = NaN; a.error = null; }
      if (b.status === 'Complete' || b.status === 'Failed') a.took = t - a.started;
      if (b.status === 'Failed') a.error = noteError(`build ${b.artifact}`, b, t);
      model.artifacts.set(b.artifact, a);
      model.build = b.status;
      phase('build', b.status, t);
    } else if (ev.fileSyncEvent) {
      const f = ev.fileSyncEvent;
      model.sync = f.status;
      phase('sync', f.status, t);
      const err = f.status === 'Failed' ? noteError(`sync ${f.image}`, f, t) : null;
      const last = model.syncs[model.syncs.length - 1];
      if (f.status === 'In Progress' || !last || last.image !== f.image || last.status !== 'In Progress') {
        model.syncs.push({t, image: f.image, files: f.fileCount, status: f.status, error: err});
        if (model.syncs.length > MAX_ROWS) model.syncs.shift();
      } else {
        Object.assign(last, {status: f.status, error: err, files: f.fileCount || last.files});
      }
      const image = (f.image || '').replace(/:[^:/]*$/, '');
      for (const [name, a] of model.artifacts) {
        if (image === name || image.endsWith('/' + name)) a.lastSync = {t, status: f.status};
      }
    } else if (ev.deployEvent) {
      const d = ev.deployEvent;
      model.deploy = d.status;
      phase('deploy', d.status, t);
      if (d.status === 'Failed') noteError('deploy', d, t);
    } else if (ev.statusCheckEvent) {
      const s = ev.statusCheckEvent;
      model.check = s.status;
      phase('status check', s.status, t);
      if (s.status === 'Failed') noteError('status check', s, t);
    } else if (ev.resourceStatusCheckEvent) {
      const r = ev.resourceStatusCheckEvent;
      model.resources.set(r.resource, {status: r.status, message: r.message || r.err || ''});
    } else if (ev.portEvent) {
      model.ports.set(ev.portEvent.localPort, ev.portEvent);
    } else if (ev.terminationEvent) {
      const e = ev.terminationEvent;
      if (e.err && e.err.message) noteError('termination', {actionableErr: e.err}, t);
    }
  }

  // ---------------------------------------------------------------- rendering

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function statusClass(status) {
    return (status || 'Not Started').replace(/\s+/g, '-');
  }

  function byKey(x, y) {
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
  }

  function fill(tbody, items, draw) {
    const fresh = document.createElement('tbody');
    for (const item of items) draw(fresh.insertRow(), item);
    tbody.replaceWith(fresh);
  }

  function render() {
    renderQueued = false;
    for (const [id, value] of [['build-status', model.build], ['sync-status', model.sync],
                               ['deploy-status', model.deploy], ['check-status', model.check]]) {
      const el = $(id);
      el.textContent = value;
      el.className = 'status ' + statusClass(value);
    }
    for (const p of PHASES) {
      const box = document.querySelector(`input[data-auto="${p}"]`);
      if (model.auto[p] !== null) box.checked = model.auto[p];
    }
    renderPending();
    const it = model.iterations[model.iterations.length - 1];
    $('iteration-now').textContent = it ? `iteration ${it.n}: ${it.status}` : '';

    fill(document.querySelector('#artifacts tbody'), [...model.artifacts].sort(byKey), (row, [name, a]) => {
      row.dataset.artifact = name;
      cell(row, name);
      cell(row, a.build, statusClass(a.build));
      cell(row, seconds(a.took));
      cell(row, a.lastSync ? `${clock(a.lastSync.t)} ${a.lastSync.status}` : '');
      const td = cell(row, a.error ? a.error.message : '', 'error');
      if (a.error && a.error.suggestion) {
        const s = document.createElement('div');
        s.className = 'suggestion';
        s.textContent = a.error.suggestion;
        td.appendChild(s);
      }
    });
    fill(document.querySelector('#resources tbody'), [...model.resources].sort(byKey), (row, [name, r]) => {
      cell(row, name);
      cell(row, r.status, statusClass(r.status));
      cell(row, r.message);
    });
    const ports = $('ports');
    ports.replaceChildren(...[...model.ports.values()].map((p) => {
      const li = document.createElement('li');
      const host = p.address && p.address !== '0.0.0.0' ? p.address : '127.0.0.1';
      const a = document.createElement('a');
      a.href = `http://${host.includes(':') ? `[${host}]` : host}:${p.localPort}/`;
      a.textContent = `${host}:${p.localPort}`;
      a.target = '_blank';
      a.rel = 'noopener';
      li.append(a, ` → ${p.resourceType || 'container'}/${p.resourceName || p.containerName}:${p.remotePort}`);
      return li;
    }));
    fill(document.querySelector('#syncs tbody'), [...model.syncs].reverse(), (row, s) => {
      row.className = 'sync';
      cell(row, clock(s.t));
      cell(row, s.image);
      cell(row, s.files);
      cell(row, s.status, statusClass(s.status));
    });
    fill(document.querySelector('#iterations tbody'), [...model.iterations].reverse(), (row, i) => {
      row.dataset.iteration = i.n;
      cell(row, i.n);
      cell(row, i.trigger);
      cell(row, i.status, statusClass(i.status));
      for (const name of ['build', 'sync', 'deploy', 'status check']) {
        const p = i.phases[name];
        cell(row, p ? seconds(p.end - p.start) : '');
      }
      cell(row, seconds(i.end - i.start));
    });
    const errors = $('errors');
    errors.replaceChildren(...model.errors.slice(-20).reverse().map((e) => {
      const li = document.createElement('li');
      li.className = 'error';
      li.textContent = `${clock(e.t)} ${e.kind}: ${e.message}`;
      if (e.suggestion) {
        const s = document.createElement('div');
        s.className = 'suggestion';
        s.textContent = e.suggestion;
        li.appendChild(s);
      }
      return li;
    }));
  }

  // What waits under each phase whose auto trigger is off.
  function renderPending() {
    const waiting = {build: '', sync: '', deploy: ''};
    if (pending) {
      const build = [];
      if (pending.builds.length) build.push(`changed: ${pending.builds.join(', ')}`);
      if (pending.tests && pending.tests.length) {
        build.push(`tests to run again: ${pending.tests.join(', ')}`);
      }
      waiting.build = build.join('; ');
      const files = pending.syncs.map((s) => `${s.files.length} of ${s.artifact} (` +
          s.files.map((f) => (f.deleted ? '−' : '') + f.path).join(', ') + ')');
      if (files.length) waiting.sync = `files to sync: ${files.join('; ')}`;
      if (pending.deploy) waiting.deploy = 'newer images than those running';
    }
    for (const p of PHASES) {
      const el = $(`${p}-pending`);
      const text = model.auto[p] === false ? waiting[p] : '';
      el.textContent = text ? `waiting: ${text}` : '';
      el.hidden = !text;
    }
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(render);
    }
  }

  // ---------------------------------------------------------------- the API

  function setConnection(text, cls) {
    const el = $('connection');
    el.textContent = text;
    el.className = 'badge ' + cls;
  }

  async function refreshState() {
    stateQueued = false;
    try {
      const r = await fetch('/v1/state', {cache: 'no-store'});
      if (!r.ok) return;
      const s = await r.json();
      model.auto.build = !!(s.buildState && s.buildState.autoTrigger);
      model.auto.sync = !!(s.fileSyncState && s.fileSyncState.autoTrigger);
      model.auto.deploy = !!(s.deployState && s.deployState.autoTrigger);
      queueRender();
    } catch (e) {
      // The stream's own failure reconnects.
    }
    refreshPending();
  }

  async function refreshPending() {
    if (!PHASES.some((p) => model.auto[p] === false)) {
      pending = null;
      return;
    }
    try {
      const r = await fetch('/devloop/v1/pending', {cache: 'no-store'});
      pending = r.ok ? await r.json() : null;
    } catch (e) {
      pending = null;
    }
    queueRender();
  }

  function queueState() {
    if (!stateQueued) {
      stateQueued = true;
      setTimeout(refreshState, 200);
    }
  }

  // Follows the NDJSON stream at `path`: `open()` when it (re)connects (each
  // stream starts over with what devloop kept), `line(result)` per line,
  // `batch()` after each read; reconnects with a growing pause when it ends.
  function follow(path, handlers) {
    let generation = 0;
    let delay = 250;
    async function connect() {
      const mine = ++generation;
      try {
        const r = await fetch(path, {cache: 'no-store'});
        if (!r.ok || !r.body) throw new Error(`GET ${path} answered ${r.status}`);
        await painted;
        handlers.open();
        delay = 250;
        const reader = r.body.getReader();
        const decoder = new TextDecoder();
        let pending = '';
        for (;;) {
          const {value, done} = await reader.read();
          if (done || mine !== generation) break;
          pending += decoder.decode(value, {stream: true});
          let eol;
          while ((eol = pending.indexOf('\n')) >= 0) {
            const text = pending.slice(0, eol);
            pending = pending.slice(eol + 1);
            if (!text.trim()) continue;
            const parsed = JSON.parse(text);
            if (parsed.result) handlers.line(parsed.result);
          }
          handlers.batch();
        }
      } catch (e) {
        // Falls through to reconnect.
      }
      if (mine !== generation) return;
      if (handlers.lost) handlers.lost();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 4000);
    }
    connect();
  }

  function followEvents() {
    setConnection('connecting…', 'pending');
    follow('/v1/events', {
      open() {
        model = emptyModel();  // the stream replays the whole log
        setConnection('live', 'ok');
        refreshState();
      },
      line: apply,
      batch() {
        queueRender();
        queueState();
      },
      lost() {
        setConnection('disconnected: reconnecting…', 'fail');
      },
    });
  }

  // ---------------------------------------------------------------- application logs

  const MAX_LOG_LINES = 2000;
  let logs = [];               // {source, prefix, message}
  const sources = new Set();
  let logsQueued = false;

  // The console's colour for a source: FNV-1a over its bytes, as
  // apps/console/console.cc picks it, so a service looks the same in both.
  function tagClass(source) {
    let h = 2166136261;
    for (const byte of new TextEncoder().encode(source)) {
      h ^= byte;
      h = Math.imul(h, 16777619) >>> 0;
    }
    return `tag-${h % 8}`;
  }

  function renderLogs() {
    logsQueued = false;
    const select = $('log-source');
    for (const source of [...sources].sort()) {
      if (![...select.options].some((o) => o.value === source)) {
        const option = document.createElement('option');
        option.value = source;
        option.textContent = source;
        select.appendChild(option);
      }
    }
    const only = select.value;
    const needle = $('log-search').value.toLowerCase();
    const shown = logs.filter((l) => (!only || l.source === only) &&
                                     (!needle || l.message.toLowerCase().includes(needle)));
    const fragment = document.createDocumentFragment();
    for (const l of shown) {
      const row = document.createElement('span');
      row.className = 'line';
      const tag = document.createElement('span');
      tag.className = tagClass(l.source);
      tag.textContent = l.prefix;
      row.append(tag, ' ', l.message);
      fragment.appendChild(row);
    }
    const pre = $('logs');
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.replaceChildren(fragment);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
    $('log-count').textContent = `${shown.length} of ${logs.length} lines`;
  }

  function queueLogs() {
    if (!logsQueued) {
      logsQueued = true;
      requestAnimationFrame(renderLogs);
    }
  }

  function followLogs() {
    follow('/v2/applicationLogs', {
      open() {
        logs = [];
      },
      line(event) {
        const l = event.applicationLogEvent;
        if (!l) return;
        const source = l.containerName || l.podName;
        sources.add(source);
        logs.push({source, prefix: l.prefix || `[${source}]`, message: l.message});
        if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
      },
      batch: queueLogs,
    });
  }

  async function control(method, path, body) {
    const error = $('control-error');
    try {
      const r = await fetch(path, {method, body: JSON.stringify(body),
                                   headers: {'Content-Type': 'application/json'}});
      if (!r.ok) {
        const answer = await r.json().catch(() => ({}));
        throw new Error(answer.message || `${method} ${path} answered ${r.status}`);
      }
      error.hidden = true;
    } catch (e) {
      error.textContent = String(e.message || e);
      error.hidden = false;
    }
    refreshState();
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const button of document.querySelectorAll('button.now')) {
      button.addEventListener('click', () => control('POST', '/v1/execute', {[button.dataset.phase]: true}));
    }
    for (const box of document.querySelectorAll('input[data-auto]')) {
      box.addEventListener('change', () =>
        control('PUT', `/v1/${box.dataset.auto}/auto_execute`, {enabled: box.checked}));
    }
    $('log-source').addEventListener('change', queueLogs);
    $('log-search').addEventListener('input', queueLogs);
    followEvents();
    followLogs();
    setInterval(refreshPending, PENDING_POLL_MS);
  });
})();
