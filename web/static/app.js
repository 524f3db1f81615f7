// Parley's page: plain JavaScript, no build step, nothing loaded from
// elsewhere. Without a token in the address it is the convener's form; with
// #t=TOKEN it is the view of that token's role (convener, participant,
// mediator, observer), kept live by the API's Server-Sent Events.
'use strict';

// ---------- small DOM and API helpers ----------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

function status(msg, kind) {
  const s = $('#status');
  s.textContent = msg || '';
  s.className = 'status' + (kind ? ' ' + kind : '');
}

async function api(method, path, token, body) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const r = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  const ct = r.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) {
    const m = data && data.error ? data.error.message : String(data);
    throw new Error(m);
  }
  return data;
}

// act runs an action and reports its outcome in the status line.
async function act(label, f) {
  status(label + '…');
  try {
    const out = await f();
    status(label + ': done.', 'ok');
    return out;
  } catch (e) {
    status(label + ': ' + e.message, 'error');
    return undefined;
  }
}

function fmtU(u) { return (u === null || u === undefined) ? '—' : u.toFixed(2); }
function fmtTime(t) { return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }

function outcomeList(o, issues) {
  if (!o) return el('p', { class: 'muted' }, 'nothing on the table yet');
  const names = issues ? issues.map(i => i.name) : Object.keys(o);
  return el('ul', { class: 'outcome' }, names.map(n => el('li', {}, el('b', {}, n + ': '), o[n])));
}

function outcomeInline(o, issues) {
  const names = issues ? issues.map(i => i.name) : Object.keys(o || {});
  return el('span', { class: 'inline-outcome' }, names.filter(n => o && n in o).map((n, k) => [k ? '; ' : '', el('b', {}, n), ': ' + o[n]]));
}

function copyButton(input) {
  return el('button', {
    type: 'button', class: 'secondary', 'aria-label': 'Copy ' + (input.getAttribute('aria-label') || 'link'),
    onclick: async (ev) => {
      const b = ev.currentTarget;
      try { await navigator.clipboard.writeText(input.value); }
      catch (_) { input.select(); document.execCommand('copy'); }
      b.textContent = 'Copied';
      setTimeout(() => { b.textContent = 'Copy'; }, 1500);
    },
  }, 'Copy');
}

// ---------- convene ----------

async function convene() {
  document.title = 'Parley: convene a negotiation';
  $('#who').textContent = 'Convene a negotiation';
  const main = $('#main');
  main.replaceChildren();
  let examples = [];
  try { examples = (await api('GET', '/v1/examples')).examples; } catch (e) { status(e.message, 'error'); }

  const title = el('input', { type: 'text', id: 'title', placeholder: 'e.g. Astana, round 9' });
  const exSel = el('select', { id: 'example' }, examples.map(x => el('option', { value: x }, x)));
  if (examples.includes('astana')) exSel.value = 'astana';
  const upload = el('input', { type: 'file', id: 'upload', multiple: true, accept: '.yaml,.yml,.json,.xml' });
  const srcRadio = (v, text, checked) => el('label', { class: 'plain' },
    el('input', { type: 'radio', name: 'source', value: v, checked, onchange: showSource }), ' ' + text);

  const issuesBox = el('div', { id: 'form-issues' });
  const partiesBox = el('div', { id: 'form-parties' });
  const addIssue = (name, values) => issuesBox.append(el('div', { class: 'row issue-row' },
    el('input', { type: 'text', class: 'issue-name', 'aria-label': 'Issue name', placeholder: 'issue', value: name || '' }),
    el('input', { type: 'text', class: 'issue-values', 'aria-label': 'Options, separated by commas', placeholder: 'option 1, option 2, …', value: values || '', size: 40 }),
    el('button', { type: 'button', class: 'danger', onclick: (e) => e.currentTarget.parentElement.remove() }, 'Remove')));
  const addParty = (name, role) => {
    const sel = el('select', { class: 'party-role', 'aria-label': 'Role' },
      ['participant', 'mediator', 'observer'].map(r => el('option', { value: r }, r)));
    sel.value = role || 'participant';
    partiesBox.append(el('div', { class: 'row party-row' },
      el('input', { type: 'text', class: 'party-name', 'aria-label': 'Party name', placeholder: 'party', value: name || '' }), sel,
      el('button', { type: 'button', class: 'danger', onclick: (e) => e.currentTarget.parentElement.remove() }, 'Remove')));
  };
  addIssue('price', 'low, medium, high'); addIssue('delivery', '1 week, 1 month');
  addParty('Buyer', 'participant'); addParty('Seller', 'participant');

  const srcExample = el('div', { id: 'src-example', class: 'row' }, el('label', { for: 'example' }, 'Example'), exSel);
  const srcUpload = el('div', { id: 'src-upload', hidden: true },
    el('div', { class: 'row' }, el('label', { for: 'upload' }, 'Scenario files'), upload),
    el('p', { class: 'muted' }, 'A Parley scenario (YAML or JSON), a GENIUS domain with its profiles (XML), or a GeniusWeb domain with its profiles (JSON). Select every file of the scenario.'));
  const srcForm = el('div', { id: 'src-form', hidden: true },
    el('h3', {}, 'Issues'), issuesBox,
    el('button', { type: 'button', class: 'secondary', onclick: () => addIssue() }, 'Add an issue'),
    el('h3', {}, 'Parties'), partiesBox,
    el('button', { type: 'button', class: 'secondary', onclick: () => addParty() }, 'Add a party'),
    el('p', { class: 'muted' }, 'Participants enter their own preferences privately on their page before the start.'));
  function showSource() {
    const v = $('input[name=source]:checked').value;
    srcExample.hidden = v !== 'example'; srcUpload.hidden = v !== 'upload'; srcForm.hidden = v !== 'form';
  }

  const protocol = el('select', { id: 'protocol' },
    el('option', { value: 'saop' }, 'Alternating offers (SAOP)'),
    el('option', { value: 'singletext' }, 'Single text, drafted by the mediator'),
    el('option', { value: 'broker' }, 'Single text, drafted by the automatic broker'));
  const duration = el('input', { type: 'text', id: 'duration', value: '2h', size: 8, 'aria-describedby': 'duration-help' });
  const turnLimit = el('input', { type: 'text', id: 'turn_limit', value: '', placeholder: 'none', size: 8, 'aria-describedby': 'turn-limit-help' });
  const turnRow = el('div', { class: 'row' }, el('label', { for: 'turn_limit' }, 'Time per turn'), turnLimit,
    el('span', { id: 'turn-limit-help', class: 'muted' }, 'optional, e.g. 10m: a turn not used in time passes to the next participant'));
  protocol.addEventListener('change', () => { turnRow.hidden = protocol.value !== 'saop'; });

  const form = el('form', { id: 'convene', class: 'card', onsubmit: (e) => { e.preventDefault(); create(); } },
    el('h1', {}, 'Convene a negotiation'),
    el('div', { class: 'row' }, el('label', { for: 'title' }, 'Title'), title),
    el('fieldset', {}, el('legend', {}, 'Scenario'),
      el('div', { class: 'row', role: 'radiogroup' }, srcRadio('example', 'an example', true), srcRadio('upload', 'upload files'), srcRadio('form', 'define issues here')),
      srcExample, srcUpload, srcForm),
    el('div', { class: 'row' }, el('label', { for: 'protocol' }, 'Protocol'), protocol),
    el('div', { class: 'row' }, el('label', { for: 'duration' }, 'Deadline after the start'), duration,
      el('span', { id: 'duration-help', class: 'muted' }, 'e.g. 90m, 2h, 72h')),
    turnRow,
    el('div', { class: 'row' }, el('button', { type: 'submit', id: 'create' }, 'Create the negotiation')));
  const linksCard = el('section', { id: 'links', class: 'card', hidden: true, 'aria-live': 'polite' });
  main.append(el('div', { class: 'grid' }, form, linksCard));

  async function create() {
    const body = { title: title.value.trim(), protocol: protocol.value, duration: duration.value.trim() };
    if (protocol.value === 'saop' && turnLimit.value.trim()) body.turn_limit = turnLimit.value.trim();
    const src = $('input[name=source]:checked').value;
    if (src === 'example') body.example = exSel.value;
    else if (src === 'upload') {
      if (!upload.files.length) { status('Choose the scenario files first.', 'error'); return; }
      const fd = new FormData();
      for (const f of upload.files) fd.append('file', f, f.name);
      const imp = await act('Reading the scenario', () => api('POST', '/ui/import', null, fd));
      if (!imp) return;
      body.scenario = imp.scenario;
    } else {
      body.issues = $$('.issue-row', issuesBox).map(r => ({
        name: $('.issue-name', r).value.trim(), type: 'categorical',
        values: $('.issue-values', r).value.split(',').map(s => s.trim()).filter(s => s),
      }));
      body.parties = $$('.party-row', partiesBox).map(r => ({ name: $('.party-name', r).value.trim(), role: $('.party-role', r).value }));
    }
    const made = await act('Creating the negotiation', () => api('POST', '/v1/negotiations', null, body));
    if (!made) return;
    const links = await act('Issuing invitations', () => inviteAll(made.id, made.convener_token, body.protocol));
    if (!links) return;
    remember(made.id, links);
    showLinks(linksCard, links);
    status('Created. Send each party its own link; start the negotiation from the convener\'s console.', 'ok');
  }
}

// inviteAll issues one invitation per party and role (and one for an
// observer of no party) and returns the links, the convener's first.
async function inviteAll(id, convToken, proto) {
  const v = await api('GET', '/v1/negotiations/' + id, convToken);
  const base = location.origin + '/#t=';
  const links = [{ role: 'convener', party: '', url: base + convToken }];
  for (const p of v.parties) {
    if (p.role === 'mediator' && proto === 'broker') continue;
    const inv = await api('POST', '/v1/negotiations/' + id + '/invitations', convToken, { role: p.role, party: p.name });
    links.push({ role: p.role, party: p.name, url: base + inv.token });
  }
  const pub = await api('POST', '/v1/negotiations/' + id + '/invitations', convToken, { role: 'observer' });
  links.push({ role: 'observer', party: '', url: base + pub.token });
  return links;
}

// remember keeps the links in this browser (they are shown once by the
// server) so the convener's console can show them again.
function remember(id, links) {
  try { localStorage.setItem('parley-links-' + id, JSON.stringify(links)); } catch (_) { /* private mode */ }
}
function remembered(id) {
  try { return JSON.parse(localStorage.getItem('parley-links-' + id) || 'null'); } catch (_) { return null; }
}

function showLinks(card, links) {
  card.hidden = false;
  const conv = links.find(l => l.role === 'convener');
  card.replaceChildren(
    el('h2', {}, 'Invitation links'),
    el('p', { class: 'muted' }, 'Each link is a secret: whoever holds it acts in that role. Send each one privately.'),
    conv ? el('p', {}, el('a', { id: 'convener-link', href: conv.url }, 'Open the convener\'s console'), ' to start the negotiation.') : null,
    el('div', { class: 'scroll' }, el('table', { class: 'links' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Party'), el('th', {}, 'Role'), el('th', {}, 'Link'), el('th', {}, ''))),
      el('tbody', {}, links.map(l => {
        const who = l.party || (l.role === 'convener' ? 'you (convener)' : 'anyone (public observer)');
        const input = el('input', { type: 'text', readonly: true, value: l.url, 'data-role': l.role, 'data-party': l.party, 'aria-label': 'Link for ' + who + ' as ' + l.role, onfocus: (e) => e.target.select() });
        return el('tr', {}, el('td', {}, who), el('td', {}, l.role), el('td', {}, input), el('td', {}, copyButton(input)));
      })))));
}

// ---------- a negotiation, seen through one token ----------

const S = {
  token: '', me: null, view: null, issues: [], events: [], seen: new Set(),
  draft: {}, source: null, refreshTimer: 0,
};

async function enter(token) {
  S.token = token;
  try {
    S.me = await api('GET', '/v1/me', token);
  } catch (e) {
    $('#main').replaceChildren(el('div', { class: 'card' }, el('h1', {}, 'This link does not work'), el('p', {}, e.message), el('p', {}, el('a', { href: '/' }, 'Convene a new negotiation'))));
    return;
  }
  const base = '/v1/negotiations/' + S.me.negotiation;
  S.base = base;
  [S.view, S.issues] = await Promise.all([api('GET', base, token), api('GET', '/ui/options', token).then(r => r.issues)]);
  for (const is of S.issues) S.draft[is.name] = is.options[0];
  if (S.view.offer) Object.assign(S.draft, S.view.offer);
  const cur = currentText();
  if (cur) Object.assign(S.draft, cur.outcome);
  const who = S.me.party ? S.me.party + ' (' + S.me.role + ')' : S.me.role;
  $('#who').textContent = S.view.title + ' — ' + who;
  document.title = 'Parley: ' + S.view.title + ' — ' + who;
  build();
  await refresh();
  listen();
  setInterval(tick, 1000);
  tick();
}

function currentText() {
  const vs = S.view.versions || [];
  return vs.length ? vs[vs.length - 1] : null;
}

function listen() {
  const es = new EventSource(S.base + '/stream?token=' + encodeURIComponent(S.token));
  S.source = es;
  const onEvent = (m) => {
    const ev = JSON.parse(m.data);
    if (S.seen.has(ev.seq)) return;
    S.seen.add(ev.seq);
    S.events.push(ev);
    addTranscript(ev);
    if (ev.type === 'suggestion') renderSuggestions();
    if (ev.type === 'critique') renderVersions();
    if (S.me.role === 'mediator' && (ev.type === 'offer' || ev.type === 'agreement' || ev.type === 'started')) {
      // Redraw once the burst (say, the backlog after a reconnect) is over.
      if (ev.type === 'started') S.fairStale = true;
      clearTimeout(S.plotTimer);
      S.plotTimer = setTimeout(() => {
        S.drawPlot();
        if (S.fairStale) { S.fairStale = false; loadFair(); }
      }, 300);
    }
    scheduleRefresh();
  };
  for (const t of ['created', 'invited', 'revoked', 'preferences', 'started', 'stopped', 'offer', 'accept', 'end', 'text', 'critique', 'suggestion', 'agreement', 'timeout', 'turn-expired']) {
    es.addEventListener(t, onEvent);
  }
  es.onerror = () => { $('#main').dataset.live = 'reconnecting'; };
  es.onopen = () => { $('#main').dataset.live = 'open'; };
}

function scheduleRefresh() {
  clearTimeout(S.refreshTimer);
  S.refreshTimer = setTimeout(refresh, 60);
}

async function refresh() {
  let v;
  try {
    v = await api('GET', S.base, S.token);
  } catch (e) { status(e.message, 'error'); return; }
  if (S.view && v.seq < S.view.seq) return; // an older answer overtaken by a newer one
  S.view = v;
  $('#phase').textContent = S.view.phase.replace('_', ' ');
  $('#main').dataset.phase = S.view.phase;
  $('#main').dataset.seq = S.view.seq;
  tick();
  const keep = document.activeElement && document.activeElement.id;
  // Until the user picks options, the draft follows what is on the table.
  const onTable = S.view.agreement || S.view.offer || (currentText() && currentText().outcome);
  if (!S.touched && onTable && S.editor) {
    Object.assign(S.draft, onTable);
    for (const s of $$('select', S.editor)) s.value = S.draft[s.dataset.issue];
  }
  renderTable();
  renderActions();
  renderVersions();
  if (S.me.role === 'convener') renderConvener();
  if (S.me.role === 'participant') renderPrefs();
  if (keep && document.activeElement !== $('#' + CSS.escape(keep))) {
    const k = document.getElementById(keep);
    if (k) k.focus();
  }
  await updateUtilities();
}

function tick() {
  const c = $('#countdown');
  const v = S.view;
  if (!v) return;
  if (!v.deadline) { c.textContent = v.phase === 'setup' ? 'deadline ' + v.duration + ' after the start' : ''; return; }
  if (v.phase !== 'running') { c.textContent = ''; return; }
  let s = Math.max(0, Math.floor((new Date(v.deadline) - Date.now()) / 1000));
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  c.textContent = 'deadline in ' + (h ? h + 'h ' : '') + String(m).padStart(2, '0') + 'm ' + String(s).padStart(2, '0') + 's';
}

// build lays out the cards of the caller's role once; refresh fills them.
function build() {
  const role = S.me.role;
  const main = $('#main');
  main.dataset.role = role;
  const cards = [];
  cards.push(el('section', { id: 'table', class: 'card', 'aria-labelledby': 'table-h' }));
  if (role === 'participant') {
    cards.push(el('section', { id: 'actions', class: 'card', 'aria-labelledby': 'actions-h' }));
    cards.push(el('section', { id: 'prefs', class: 'card', 'aria-labelledby': 'prefs-h' }));
  }
  if (role === 'mediator') {
    cards.push(el('section', { id: 'actions', class: 'card', 'aria-labelledby': 'actions-h' }));
    cards.push(el('section', { id: 'suggestions', class: 'card' }, el('h2', {}, 'Broker\'s suggestions'),
      el('p', { class: 'muted' }, 'The broker proposes the next text from every party\'s confidential preferences and the critiques so far. Only mediators see its suggestions.'),
      el('button', { type: 'button', id: 'suggest', onclick: suggest }, 'Ask the broker'),
      el('ol', { id: 'suggestion-list' })));
    cards.push(el('section', { id: 'fair', class: 'card wide' }, el('h2', {}, 'Fair points'), el('div', { id: 'fair-body' }, el('p', { class: 'muted' }, 'Loading…'))));
    cards.push(el('section', { id: 'picture', class: 'card plot wide' }));
  }
  if (role === 'convener') cards.push(el('section', { id: 'console', class: 'card' }));
  if (S.view.protocol !== 'saop') cards.push(el('section', { id: 'versions', class: 'card wide' }));
  cards.push(el('section', { id: 'transcript-card', class: 'card wide' }, el('h2', {}, 'Transcript'),
    el('p', { class: 'muted' }, role === 'observer' ? 'The public record.' : 'Entries marked private are seen by you (and, for critiques, the mediator) only.'),
    el('ol', { id: 'transcript', class: 'transcript', 'aria-live': 'polite' })));
  main.replaceChildren(el('div', { class: 'grid' }, cards));
  if (role === 'mediator') { buildMediator(); }
  if (role === 'participant' || role === 'mediator') buildEditor();
}

// ---------- the table: what is on it now ----------

function renderTable() {
  const v = S.view;
  const card = $('#table');
  const cur = currentText();
  if (unchanged(card, [v.phase, v.turn, v.offer, v.proposer, v.agreement, cur])) return;
  const kids = [];
  if (v.agreement) {
    card.classList.add('agreement');
    kids.push(el('h2', { id: 'table-h' }, 'Agreement'), outcomeList(v.agreement, S.issues),
      el('p', { class: 'muted' }, 'Accepted by ' + (v.acceptances || []).map(a => a.party).join(', ') + '.'));
  } else if (v.protocol === 'saop') {
    kids.push(el('h2', { id: 'table-h' }, 'Offer on the table'));
    if (v.offer) kids.push(el('p', {}, 'Offered by ', el('b', {}, v.proposer), ' in round ' + (v.round + 1) + ':'));
    kids.push(el('div', { id: 'current' }, outcomeList(v.offer, S.issues)));
  } else {
    kids.push(el('h2', { id: 'table-h' }, cur ? 'Current text: version ' + cur.version : 'Current text'));
    if (cur) {
      kids.push(el('div', { id: 'current' }, outcomeList(cur.outcome, S.issues)));
      if (cur.comment) kids.push(el('p', { class: 'muted' }, cur.by + ': ' + cur.comment));
      kids.push(el('p', {}, 'Accepted by: ' + (cur.accepted_by.length ? cur.accepted_by.join(', ') : 'nobody yet') + ' (' + cur.answered + ' of ' + participants().length + ' answered)'));
    } else kids.push(el('p', { class: 'muted' }, 'No text yet: the ' + (v.protocol === 'broker' ? 'broker' : 'mediator') + ' drafts it after the start.'));
  }
  if (S.me.role === 'participant') {
    // Keep the last figure until the new one arrives, when the package is the same.
    const old = $('#my-current');
    const same = old && old.dataset.pkg === JSON.stringify(v.agreement || v.offer || (cur && cur.outcome) || null);
    kids.push(same ? old : el('div', { id: 'my-current', 'aria-live': 'polite' }));
  }
  if (v.phase === 'running' && v.protocol === 'saop') kids.push(el('p', { id: 'turn' }, 'Turn: ', el('b', {}, v.turn === S.me.party ? 'yours' : v.turn)));
  if (v.phase === 'setup') kids.push(el('p', { class: 'muted' }, 'The negotiation has not started yet.'));
  card.replaceChildren(...kids);
}

function participants() { return S.view.parties.filter(p => p.role === 'participant').map(p => p.name); }

// ---------- utilities (participants: mine only; mediators: everyone's) ----------

let utilSeq = 0;
async function updateUtilities() {
  if (S.me.role !== 'participant' && S.me.role !== 'mediator') return;
  if (S.me.role === 'participant' && !(S.view.private && S.view.private.preferences)) {
    const c = $('#my-current');
    if (c) c.replaceChildren(el('p', { class: 'muted' }, 'Enter your preferences to see what each package is worth to you.'));
    renderDraftUtility(null);
    return;
  }
  const cur = S.view.agreement || S.view.offer || (currentText() && currentText().outcome) || null;
  const pk = [Object.assign({}, S.draft)];
  if (cur) pk.push(cur);
  const n = ++utilSeq;
  let res;
  try { res = await api('POST', '/ui/utility', S.token, { packages: pk }); } catch (e) { status(e.message, 'error'); return; }
  if (n !== utilSeq) return;
  S.utils = res.parties;
  renderDraftUtility(res.parties);
  if (S.me.role === 'participant') {
    const c = $('#my-current');
    const me = res.parties[0];
    if (c && cur && me) {
      c.replaceChildren(utilityLine('Worth to you', me.utilities[1], me.reservation, 'current-utility'));
      c.dataset.pkg = JSON.stringify(cur);
    }
    else if (c) c.replaceChildren();
  }
}

function utilityLine(label, u, res, id) {
  const ok = res === undefined || res === null || (u !== null && u >= res);
  const bar = el('div', { class: 'bar', 'aria-hidden': 'true' }, el('span', { style: 'width:' + Math.round(100 * Math.max(0, Math.min(1, u || 0))) + '%' }),
    res !== undefined && res !== null ? el('i', { style: 'left:' + Math.round(100 * res) + '%' }) : null);
  return el('div', { class: 'mine' },
    el('p', {}, label + ': ', el('span', { class: 'util ' + (ok ? 'above' : 'below'), id }, fmtU(u)),
      res !== undefined && res !== null ? ' — your walk-away is ' + fmtU(res) + (ok ? ': better than walking away.' : ': worse than walking away.') : ''),
    bar);
}

// ---------- the package editor (participants offer, mediators draft) ----------

function buildEditor() {
  const box = el('div', { id: 'editor', class: 'pkg' },
    S.issues.map(is => {
      const id = 'pick-' + is.name.replace(/[^A-Za-z0-9_-]/g, '_');
      const sel = el('select', { id, 'data-issue': is.name, onchange: (e) => { S.draft[is.name] = e.target.value; S.touched = true; updateUtilities(); } },
        is.options.map(o => el('option', { value: o }, o)));
      sel.value = S.draft[is.name];
      return el('div', { class: 'row' }, el('label', { for: id, title: is.description || '' }, is.name), sel);
    }),
    el('div', { id: 'draft-utility', 'aria-live': 'polite' }));
  S.editor = box;
}

function setDraft(o) {
  Object.assign(S.draft, o);
  S.touched = true;
  for (const s of $$('#editor select')) s.value = S.draft[s.dataset.issue];
  updateUtilities();
}

function renderDraftUtility(parties) {
  const box = $('#draft-utility');
  if (!box) return;
  if (!parties) { box.replaceChildren(); return; }
  if (S.me.role === 'participant') {
    const me = parties[0];
    box.replaceChildren(me ? utilityLine('This package is worth to you', me.utilities[0], me.reservation, 'draft-utility-value') : '');
    return;
  }
  box.replaceChildren(gainsTable(parties, 0, 'draft-gains'));
}

function gainsTable(parties, k, id) {
  return el('div', { class: 'scroll' }, el('table', { id },
    el('thead', {}, el('tr', {}, el('th', {}, 'Party'), el('th', { class: 'num' }, 'Utility'), el('th', { class: 'num' }, 'Walk-away'), el('th', {}, ''))),
    el('tbody', {}, parties.map(p => {
      const u = p.utilities[k];
      const ok = p.reservation === undefined || (u !== null && u >= p.reservation);
      const badge = u === null ? el('span', { class: 'badge' }, 'no preferences yet') : el('span', { class: 'badge ' + (ok ? 'good' : 'bad') }, ok ? 'above walk-away' : 'below walk-away');
      return el('tr', {}, el('td', {}, p.name), el('td', { class: 'num util' }, fmtU(u)), el('td', { class: 'num' }, p.reservation === undefined ? 'none' : fmtU(p.reservation)),
        el('td', {}, badge));
    }))));
}

// ---------- actions ----------

// unchanged reports whether a card already shows what key describes, so
// that refreshes do not rebuild (and unfocus) what has not changed.
function unchanged(card, key) {
  const k = JSON.stringify(key);
  if (card.dataset.key === k) return true;
  card.dataset.key = k;
  return false;
}

function renderActions() {
  const card = $('#actions');
  if (!card) return;
  const v = S.view;
  const answered = S.events.filter(e => (e.type === 'accept' || e.type === 'critique') && e.party === S.me.party).length;
  if (unchanged(card, [v.phase, v.turn, v.offer, v.proposer, (v.versions || []).length, answered])) return;
  const running = v.phase === 'running';
  if (S.me.role === 'mediator') {
    const kids = [el('h2', { id: 'actions-h' }, v.protocol === 'singletext' ? 'Draft the next text' : 'Every party\'s gain for any package'), S.editor];
    if (v.protocol === 'singletext') {
      kids.push(el('label', { for: 'text-comment' }, 'Note to the parties'), el('textarea', { id: 'text-comment' }),
        el('div', { class: 'row' }, el('button', { type: 'button', id: 'publish', disabled: !running, onclick: publish }, 'Publish as version ' + ((v.versions || []).length + 1))));
      if (!running) kids.push(el('p', { class: 'muted' }, v.phase === 'setup' ? 'Texts can be published once the convener starts the negotiation.' : 'The negotiation is over.'));
    }
    card.replaceChildren(...kids);
    return;
  }
  const kids = [el('h2', { id: 'actions-h' }, 'Your move')];
  if (!running) {
    kids.push(el('p', { class: 'muted' }, v.phase === 'setup' ? 'Waiting for the convener to start.' : 'The negotiation is over (' + v.phase.replace('_', ' ') + ').'));
    if (v.phase === 'setup') kids.push(el('h3', {}, 'Explore packages in the meantime'), S.editor);
    card.replaceChildren(...kids);
    return;
  }
  if (v.protocol === 'saop') {
    const mine = v.turn === S.me.party;
    if (!mine) kids.push(el('p', {}, 'Waiting for ', el('b', {}, v.turn), ' to move.'));
    if (v.offer && v.proposer !== S.me.party) {
      kids.push(el('div', { class: 'row' }, el('button', { type: 'button', id: 'accept', disabled: !mine, onclick: () => act('Accepting the offer', () => api('POST', S.base + '/accept', S.token, {})) }, 'Accept this offer')));
    }
    kids.push(el('h3', {}, v.offer ? 'Or reject it with a counter-offer' : 'Make the first offer'), S.editor,
      el('div', { class: 'row' }, el('button', { type: 'button', id: 'offer', disabled: !mine, onclick: () => act('Offering', () => api('POST', S.base + '/offers', S.token, { outcome: Object.assign({}, S.draft) })) }, 'Offer this package')));
  } else {
    const cur = currentText();
    if (!cur) kids.push(el('p', { class: 'muted' }, 'No text to answer yet.'));
    else {
      const answered = S.events.some(e => (e.type === 'accept' || e.type === 'critique') && e.party === S.me.party && e.data.version === cur.version);
      if (answered) kids.push(el('p', {}, 'You have answered version ' + cur.version + '. Wait for the next text.'));
      else {
        kids.push(el('div', { class: 'row' }, el('button', { type: 'button', id: 'accept', onclick: () => act('Accepting version ' + cur.version, () => api('POST', S.base + '/accept', S.token, { version: cur.version })) }, 'Accept version ' + cur.version)));
        const boxes = el('fieldset', { id: 'blocking' }, el('legend', {}, 'Or critique it: the issues that block it'),
          S.issues.map(is => el('label', { class: 'plain' }, el('input', { type: 'checkbox', value: is.name, id: 'block-' + is.name.replace(/[^A-Za-z0-9_-]/g, '_') }), ' ' + is.name + ' ')));
        kids.push(boxes, el('label', { for: 'critique-comment' }, 'Comment (the mediator sees it)'), el('textarea', { id: 'critique-comment' }),
          el('div', { class: 'row' }, el('button', { type: 'button', id: 'critique', class: 'secondary', onclick: () => {
            const blocking = $$('#blocking input:checked').map(b => b.value);
            act('Critiquing version ' + cur.version, () => api('POST', S.base + '/critiques', S.token, { version: cur.version, blocking, comment: $('#critique-comment').value }));
          } }, 'Send the critique')));
      }
    }
  }
  kids.push(el('div', { class: 'row' }, el('button', { type: 'button', id: 'walk', class: 'danger', onclick: () => {
    if (confirm('Walk away? The negotiation ends without agreement for everyone.')) act('Walking away', () => api('POST', S.base + '/end', S.token, { comment: 'walked away' }));
  } }, 'Walk away')));
  card.replaceChildren(...kids);
}

async function publish() {
  const comment = $('#text-comment').value;
  const ok = await act('Publishing the text', () => api('POST', S.base + '/texts', S.token, { outcome: Object.assign({}, S.draft), comment }));
  if (ok) $('#text-comment').value = '';
}

async function suggest() {
  await act('Asking the broker', () => api('POST', S.base + '/suggestions', S.token, {}));
}

// ---------- participants' own preferences ----------

function renderPrefs() {
  const card = $('#prefs');
  const p = S.view.private;
  if (unchanged(card, [S.view.phase === 'setup', p])) return;
  const kids = [el('h2', { id: 'prefs-h' }, 'My preferences'), el('p', { class: 'muted' }, 'Private: shown only to you; the broker uses them in confidence.')];
  if (p && p.preferences) {
    if (p.reservation !== undefined && p.reservation !== null) kids.push(el('p', {}, 'Walk-away (reservation) value: ', el('b', { class: 'util' }, fmtU(p.reservation))));
    const lin = p.preferences.linear;
    if (lin) {
      kids.push(el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Issue'), el('th', { class: 'num' }, 'Weight'), el('th', {}, 'Best option'))),
        el('tbody', {}, S.issues.map(is => {
          const li = lin.issues[is.name];
          if (!li) return el('tr', {}, el('td', {}, is.name), el('td', { class: 'num' }, '0'), el('td', {}, '—'));
          let best = '—';
          if (li.values) best = Object.entries(li.values).sort((a, b) => b[1] - a[1])[0][0];
          return el('tr', {}, el('td', {}, is.name), el('td', { class: 'num' }, fmtU(li.weight)), el('td', {}, best));
        })))));
    } else kids.push(el('p', {}, 'Kind: ' + Object.keys(p.preferences).join(', ')));
    card.replaceChildren(...kids);
    return;
  }
  if (S.view.phase !== 'setup') {
    kids.push(el('p', {}, 'You entered no preferences before the start; the page cannot show what packages are worth to you.'));
    card.replaceChildren(...kids);
    return;
  }
  if ($('#pref-form', card)) return; // keep what is being entered
  const rows = S.issues.map(is => {
    const key = is.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const w = el('input', { type: 'range', min: 0, max: 10, value: 5, id: 'w-' + key, 'data-issue': is.name, class: 'weight' });
    const shown = (input) => {
      const out = el('output', { for: input.id }, input.value);
      input.addEventListener('input', () => { out.textContent = input.value; });
      return out;
    };
    const fs = el('fieldset', {}, el('legend', {}, is.name),
      el('div', { class: 'row' }, el('label', { for: 'w-' + key }, 'How much it matters'), w, shown(w)));
    if (is.type === 'categorical') {
      is.options.forEach((o, k) => {
        const r = el('input', { type: 'range', min: 0, max: 10, value: 5, id: 'r-' + key + '-' + k, 'data-issue': is.name, 'data-option': o, class: 'rating' });
        fs.append(el('div', { class: 'row' }, el('label', { class: 'plain', for: r.id }, o), r, shown(r)));
      });
    } else {
      const sel = el('select', { id: 'dir-' + key, 'data-issue': is.name, class: 'direction' }, el('option', { value: 'up' }, 'more is better'), el('option', { value: 'down' }, 'less is better'));
      fs.append(el('div', { class: 'row' }, el('label', { for: 'dir-' + key }, 'Direction'), sel));
    }
    return fs;
  });
  const res = el('input', { type: 'range', min: 0, max: 100, value: 40, id: 'reservation' });
  const resOut = el('output', { for: 'reservation', id: 'reservation-out' }, '0.40');
  res.addEventListener('input', () => { resOut.textContent = (res.value / 100).toFixed(2); });
  kids.push(el('form', { id: 'pref-form', onsubmit: (e) => { e.preventDefault(); sendPrefs(); } },
    el('p', {}, 'Rate how much each issue matters to you and how good each option is (0 worst, 10 best).'), rows,
    el('div', { class: 'row' }, el('label', { for: 'reservation' }, 'Walk away from any deal worth less than'), res, resOut),
    el('button', { type: 'submit', id: 'save-prefs' }, 'Save my preferences')));
  card.replaceChildren(...kids);
}

async function sendPrefs() {
  const issues = {};
  let total = 0;
  for (const w of $$('#pref-form .weight')) total += Number(w.value);
  if (total === 0) { status('Give at least one issue some weight.', 'error'); return; }
  for (const is of S.issues) {
    const key = is.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const weight = Number($('#w-' + key).value) / total;
    if (is.type === 'categorical') {
      const rs = $$('.rating', $('#pref-form')).filter(r => r.dataset.issue === is.name);
      const max = Math.max(...rs.map(r => Number(r.value)), 1);
      const values = {};
      for (const r of rs) values[r.dataset.option] = Number(r.value) / max;
      issues[is.name] = { weight, values };
    } else {
      const up = $('#dir-' + key).value === 'up';
      issues[is.name] = { weight, function: { shape: 'linear', at_min: up ? 0 : 1, at_max: up ? 1 : 0 } };
    }
  }
  const reservation = Number($('#reservation').value) / 100;
  await act('Saving your preferences', () => api('POST', S.base + '/preferences', S.token, { preferences: { linear: { issues } }, reservation }));
}

// ---------- versions and critiques (text protocols) ----------

function renderVersions() {
  const card = $('#versions');
  if (!card || !S.view) return;
  const vs = S.view.versions || [];
  const crit = S.events.filter(e => e.type === 'critique');
  if (unchanged(card, [vs, crit.length])) return;
  const mine = S.me.role === 'participant' && S.view.private && S.view.private.preferences;
  card.replaceChildren(el('h2', {}, 'Versions of the text'),
    vs.length ? el('div', { class: 'scroll' }, el('table', { id: 'version-table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Version'), el('th', {}, 'Text'), mine ? el('th', { class: 'num' }, 'Worth to you') : null, el('th', {}, 'Accepted by'), S.me.role === 'observer' ? null : el('th', {}, 'Critiques'))),
      el('tbody', {}, vs.slice().reverse().map(v => el('tr', {},
        el('td', {}, el('span', { class: 'cell-label' }, 'Version '), String(v.version), el('br'), el('span', { class: 'muted' }, v.by)),
        el('td', {}, outcomeList(v.outcome, S.issues), v.comment ? el('p', { class: 'muted' }, v.comment) : null),
        mine ? el('td', { class: 'num util', 'data-version': v.version }, el('span', { class: 'cell-label' }, 'Worth to you: ')) : null,
        el('td', {}, el('span', { class: 'cell-label' }, 'Accepted by: '), v.accepted_by.join(', ') || '—'),
        S.me.role === 'observer' ? null : el('td', {}, el('span', { class: 'cell-label' }, 'Critiques: '), crit.filter(c => c.data.version === v.version).map(c =>
          el('p', {}, el('b', {}, c.party), ': blocks ' + c.data.blocking.join(', ') + (c.data.comment ? ' — “' + c.data.comment + '”' : '')))))))))
      : el('p', { class: 'muted' }, 'No version yet.'));
  if (mine && vs.length) fillVersionUtilities(vs.slice(-100));
}

// fillVersionUtilities writes what each version is worth to the
// participant into its row.
async function fillVersionUtilities(vs) {
  S.versionU = S.versionU || {};
  const missing = vs.filter(v => !(v.version in S.versionU));
  if (missing.length) {
    let res;
    try { res = await api('POST', '/ui/utility', S.token, { packages: missing.map(v => v.outcome) }); } catch (e) { status(e.message, 'error'); return; }
    const me = res.parties[0];
    if (!me) return;
    missing.forEach((v, k) => { S.versionU[v.version] = { u: me.utilities[k], res: me.reservation }; });
  }
  for (const v of vs) {
    const td = $('#version-table td[data-version="' + v.version + '"]');
    const x = S.versionU[v.version];
    if (!td || !x || td.dataset.filled) continue;
    const ok = x.res === undefined || (x.u !== null && x.u >= x.res);
    td.classList.add(ok ? 'above' : 'below');
    td.append(fmtU(x.u));
    td.dataset.filled = '1';
  }
}

// ---------- mediator ----------

function buildMediator() {
  const ps = participants();
  const a = el('select', { id: 'plot-a', 'aria-label': 'Horizontal axis' }, ps.map(p => el('option', { value: p }, p)));
  const b = el('select', { id: 'plot-b', 'aria-label': 'Vertical axis' }, ps.map(p => el('option', { value: p }, p)));
  if (ps.length > 1) b.value = ps[1];
  const img = el('img', { id: 'plot-img', alt: 'Utility space of the two parties chosen' });
  const draw = async () => {
    if (a.value === b.value) { status('Choose two different parties.', 'error'); return; }
    try {
      const r = await fetch('/ui/plot.svg?a=' + encodeURIComponent(a.value) + '&b=' + encodeURIComponent(b.value), { headers: { Authorization: 'Bearer ' + S.token } });
      if (!r.ok) throw new Error((await r.json()).error.message);
      const blob = await r.blob();
      if (img.src) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(blob);
      img.alt = 'Utility space of ' + a.value + ' (across) and ' + b.value + ' (up): every package, the Pareto frontier, reservation lines and the fair points';
    } catch (e) { $('#picture-note').textContent = e.message; }
  };
  a.addEventListener('change', draw); b.addEventListener('change', draw);
  S.drawPlot = draw;
  $('#picture').replaceChildren(el('h2', {}, 'Pareto frontier and fair points'),
    el('div', { class: 'row' }, el('label', { for: 'plot-a' }, 'Across'), a, el('label', { for: 'plot-b' }, 'Up'), b),
    el('p', { id: 'picture-note', class: 'muted' }), img);
  draw();
  loadFair();
}

async function loadFair() {
  const box = $('#fair-body');
  let an;
  try { an = await api('GET', '/ui/analysis', S.token); } catch (e) { box.replaceChildren(el('p', { class: 'muted' }, e.message)); return; }
  box.replaceChildren(
    el('p', {}, an.outcomes + ' packages; ' + (an.rational >= 0 ? an.rational + ' beat every walk-away; ' : '') + an.pareto + ' on the Pareto frontier.'),
    an.fair.length ? el('div', { class: 'scroll' }, el('table', { id: 'fair-table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Point'), an.parties.map(p => el('th', { class: 'num' }, p)), el('th', {}, ''))),
      el('tbody', {}, an.fair.map((f, k) => el('tr', {}, el('td', {}, f.name + (f.ties > 1 ? ' (' + f.ties + ' tie)' : '')),
        f.utilities.map(u => el('td', { class: 'num' }, fmtU(u))),
        el('td', {}, el('button', { type: 'button', class: 'secondary', id: 'fair-' + k, onclick: () => { setDraft(f.package); status(f.name + ' point loaded into the draft.', 'ok'); } }, 'Load')))))))
      : el('p', {}, 'No package beats every walk-away: there is no zone of agreement.'));
}

function renderSuggestions() {
  const list = $('#suggestion-list');
  if (!list) return;
  const ss = S.events.filter(e => e.type === 'suggestion');
  list.replaceChildren(...ss.slice().reverse().map((s, k) => el('li', {},
    el('p', {}, s.data.comment || ''),
    s.data.outcome ? outcomeList(s.data.outcome, S.issues) : null,
    s.data.outcome ? el('button', { type: 'button', class: 'secondary', id: k === 0 ? 'use-suggestion' : null, onclick: () => { setDraft(s.data.outcome); status('Suggestion loaded into the draft.', 'ok'); } }, 'Load into the draft') : null)));
}

// ---------- convener ----------

function renderConvener() {
  const card = $('#console');
  const v = S.view;
  const links = remembered(v.id);
  if (unchanged(card, [v.phase, v.invitations])) return;
  const kids = [el('h2', {}, 'Convener\'s console'),
    el('div', { class: 'row' },
      el('button', { type: 'button', id: 'start', disabled: v.phase !== 'setup', onclick: () => act('Starting', () => api('POST', S.base + '/start', S.token, {})) }, 'Start the negotiation'),
      el('button', { type: 'button', id: 'stop', class: 'danger', disabled: v.phase !== 'setup' && v.phase !== 'running', onclick: () => {
        if (confirm('Stop the negotiation without agreement?')) act('Stopping', () => api('POST', S.base + '/stop', S.token, { comment: 'stopped by the convener' }));
      } }, 'Stop')),
    el('p', { class: 'muted' }, 'Protocol ' + v.protocol + '; deadline ' + v.duration + ' after the start' + (v.turn_limit ? '; ' + v.turn_limit + ' per turn' : '') + '. Parties: ' + v.parties.map(p => p.name + ' (' + p.role + ')').join(', ') + '.')];
  card.replaceChildren(...kids);
  if (links) {
    const lc = el('div', { id: 'links' });
    card.append(lc);
    showLinks(lc, links.filter(l => l.role !== 'convener'));
  } else card.append(el('p', { class: 'muted' }, 'The invitation links were shown once, in the browser that created the negotiation.'));
  // Every invitation, revocable but the convener's own from the creation
  // (the first): a revoked link stops working at once.
  if (v.invitations && v.invitations.length) {
    card.append(el('h3', {}, 'Invitations'), el('table', { id: 'invitations' }, el('tbody', {}, v.invitations.map((inv, k) => el('tr', { 'data-id': inv.id },
      el('td', { title: 'invitation ' + inv.id }, inv.party || (inv.role === 'convener' ? 'convener' : 'anyone')), el('td', {}, inv.role),
      el('td', {}, inv.revoked ? 'revoked' : k === 0 ? '' : el('button', { type: 'button', class: 'secondary', onclick: () => {
        if (confirm('Revoke this invitation? Its link stops working at once.')) act('Revoking', () => api('POST', S.base + '/invitations/' + encodeURIComponent(inv.id) + '/revoke', S.token, {}));
      } }, 'Revoke')))))));
  }
}

// ---------- transcript ----------

function describe(ev) {
  const d = ev.data || {};
  const who = ev.party || 'the convener';
  switch (ev.type) {
    case 'created': return ['Negotiation “' + d.title + '” created on ' + d.scenario + ' (' + d.protocol + ', deadline ' + d.duration + ' after the start).'];
    case 'invited': return ['Invitation issued: ' + d.role + (d.party ? ' for ' + d.party : '') + '.'];
    case 'preferences': return [(ev.party === S.me.party ? 'You' : ev.party) + ' entered preferences.'];
    case 'started': return ['Started. Deadline ' + new Date(d.deadline).toLocaleString() + '. ' + (d.order && S.view && S.view.protocol === 'saop' ? 'Turn order: ' + d.order.join(', ') + '.' : '')];
    case 'stopped': return ['Stopped by the convener' + (d.reason ? ': ' + d.reason : '') + '.'];
    case 'offer': return [el('b', {}, ev.party), ' offered: ', outcomeInline(d.outcome, S.issues)];
    case 'accept': return [el('b', {}, ev.party), d.version ? ' accepted version ' + d.version + '.' : ' accepted the offer.'];
    case 'end': return [el('b', {}, who), ' walked away' + (d.reason ? ': ' + d.reason : '') + '.'];
    case 'text': return [el('b', {}, ev.party), ' published version ' + d.version + ': ', outcomeInline(d.outcome, S.issues), d.comment ? el('span', { class: 'muted' }, ' — ' + d.comment) : null];
    case 'critique': return [el('b', {}, ev.party), ' critiqued version ' + d.version + '; blocking: ' + (d.blocking || []).join(', ') + (d.comment ? ' — “' + d.comment + '”' : '')];
    case 'suggestion': return ['The broker suggested' + (d.outcome ? ' a text' : ' nothing') + (d.comment ? ': ' + d.comment : '.')];
    case 'agreement': return [el('b', {}, 'Agreement'), ' — every participant accepted: ', outcomeInline(d.outcome, S.issues)];
    case 'timeout': return ['The deadline passed without agreement.'];
    case 'turn-expired': return [el('b', {}, d.party), '’s turn expired; the turn passes on.'];
    case 'revoked': return ['Invitation ' + d.id + ' revoked: ' + d.role + (d.party ? ' for ' + d.party : '') + (d.reason ? ' — ' + d.reason : '') + '.'];
  }
  return [ev.type];
}

function addTranscript(ev) {
  const list = $('#transcript');
  if (!list) return;
  const li = el('li', { 'data-type': ev.type, 'data-seq': ev.seq }, el('time', { datetime: ev.time }, fmtTime(ev.time)), describe(ev),
    ev.to && ev.to.length ? el('span', { class: 'private' }, '(private)') : null);
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

// ---------- start ----------

function route() {
  const m = /(?:^|[#&])t=([^&]+)/.exec(location.hash);
  if (m) enter(decodeURIComponent(m[1]));
  else convene();
}
window.addEventListener('hashchange', () => location.reload());
route();
