// The audit view: chain verification, event search, field usage over time and the subject-access
// report, all read from the auditor API (POST /audit/graphql) with the signed-in token.
import { errorBox, formatNumber, formatTime, formValues, graphql, h, mountShell, show, stackedBarChart, table } from './app.js';

const API = '/audit/graphql';
const DAY_MS = 86_400_000;
const $ = (id) => document.getElementById(id);

const CHAIN_STATUS = `query ChainStatus { chainStatus { ok warnings orphanIndexRows chains { chain ok events lastSeq checkpointSeq signedHeadSeq brokenAtSeq brokenEventId kind reason warnings } } }`;
const EVENTS = `query AuditEvents($filter: AuditEventFilter, $after: String) {
  auditEvents(filter: $filter, first: 25, after: $after) {
    nodes { id time subject roles clientName clientVersion purpose operationName operationSignature outcome errorCodes latencyMs subgraphs
      fields { coordinate level category decision values } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const USAGE = `query FieldUsage($from: String, $coordinate: String, $client: String) {
  fieldUsage(from: $from, coordinate: $coordinate, client: $client) { day coordinate client events values allowed masked denied }
}`;
const SUBJECT = `query SubjectAccess($entityKey: String!, $days: Int) {
  subjectAccess(entityKey: $entityKey, days: $days) { eventId time subject client purpose fields { coordinate decision } }
}`;

/** Runs `load` and shows its result in `target`, or the API's error; a busy marker meanwhile. */
async function into(target, load) {
  target.setAttribute('aria-busy', 'true');
  try {
    show(target, await load());
  } catch (err) {
    show(target, errorBox(err));
  } finally {
    target.removeAttribute('aria-busy');
  }
}

async function chainStatus() {
  const { chainStatus: status } = await graphql(API, CHAIN_STATUS);
  const events = status.chains.reduce((sum, c) => sum + c.events, 0);
  const verdict = status.ok
    ? h('p', { class: 'status ok', id: 'chain-verdict' }, `Verified: ${formatNumber(events)} events in ${status.chains.length} chain(s), hash chain intact.`)
    : h('p', { class: 'status broken', id: 'chain-verdict' }, 'Tampering detected: the chain below does not verify.');
  const rows = table(
    [
      ['Chain', (c) => h('code', {}, c.chain)],
      ['Events', (c) => formatNumber(c.events)],
      ['Last seq', (c) => c.lastSeq],
      ['Pruned up to', (c) => c.checkpointSeq ?? '—'],
      ['Signed head', (c) => c.signedHeadSeq ?? '—'],
      ['Status', (c) => (c.ok ? h('span', { class: 'badge allowed' }, 'ok') : h('span', { class: 'badge denied' }, `${c.kind ?? 'broken'} at seq ${c.brokenAtSeq}`))],
      ['Reason', (c) => [c.reason ?? '', c.warnings.map((w) => h('div', { class: 'muted' }, w))]],
    ],
    status.chains,
    { empty: 'No events recorded yet.' },
  );
  // Warnings say what could not be checked (e.g. tail truncation without a signing key); orphans fail.
  const notes = [
    ...status.orphanIndexRows.map((o) => h('p', { class: 'status broken' }, `Index row without an event: ${o}`)),
    ...status.warnings.map((w) => h('p', { class: 'notice warning' }, w)),
  ];
  return [verdict, notes, rows];
}

const decisionBadges = (fields) => {
  const counts = { allowed: 0, masked: 0, denied: 0 };
  for (const f of fields) counts[f.decision] = (counts[f.decision] ?? 0) + 1;
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([decision, n]) => h('span', { class: `badge ${decision}` }, `${n} ${decision}`));
};

function eventDetails(event) {
  return h(
    'details',
    {},
    h('summary', {}, `${event.fields.length} fields`, ' ', decisionBadges(event.fields)),
    event.operationSignature && h('pre', { class: 'signature' }, event.operationSignature),
    table(
      [
        ['Field', (f) => h('code', {}, f.coordinate)],
        ['Classification', (f) => [f.level, f.category ? ` · ${f.category}` : '']],
        ['Decision', (f) => h('span', { class: `badge ${f.decision}` }, f.decision)],
        ['Values', (f) => formatNumber(f.values)],
      ],
      event.fields,
      { empty: 'No fields.' },
    ),
  );
}

const EVENT_COLUMNS = [
  ['Time', (e) => formatTime(e.time)],
  ['Subject', (e) => [e.subject ?? h('span', { class: 'muted' }, 'anonymous'), e.roles.length ? h('div', { class: 'muted' }, e.roles.join(', ')) : null]],
  ['Client', (e) => [e.clientName ?? '—', e.clientVersion ? h('span', { class: 'muted' }, ` ${e.clientVersion}`) : null]],
  ['Purpose', (e) => e.purpose ?? '—'],
  ['Operation', (e) => e.operationName ?? h('span', { class: 'muted' }, 'anonymous')],
  ['Outcome', (e) => [h('span', { class: `badge outcome-${e.outcome}` }, e.outcome), e.errorCodes.length ? h('div', { class: 'muted' }, e.errorCodes.join(', ')) : null]],
  ['Fields', eventDetails],
  ['Latency', (e) => `${e.latencyMs.toFixed(1)} ms`],
];

/** The filter as the API takes it: dates are whole UTC days, `to` inclusive of its day. */
function eventFilter(values) {
  const filter = { ...values };
  if (filter.from) filter.from = new Date(`${filter.from}T00:00:00Z`).toISOString();
  if (filter.to) filter.to = new Date(new Date(`${filter.to}T00:00:00Z`).getTime() + DAY_MS).toISOString();
  return filter;
}

function searchEvents(form) {
  const target = $('events');
  const filter = eventFilter(formValues(form));
  const rows = [];
  const load = async (after) => {
    const { auditEvents } = await graphql(API, EVENTS, { filter, after });
    rows.push(...auditEvents.nodes);
    const more = auditEvents.pageInfo.hasNextPage
      ? h('button', { type: 'button', id: 'more-events', onClick: () => into(target, () => load(auditEvents.pageInfo.endCursor)) }, 'Load more')
      : null;
    return [h('p', { class: 'muted', id: 'event-count' }, `${rows.length} event(s)${more ? ' so far' : ''}`), table(EVENT_COLUMNS, rows, { empty: 'No event matches.' }), more];
  };
  return into(target, () => load(null));
}

const DECISIONS = [
  { key: 'allowed', label: 'allowed', className: 'allowed' },
  { key: 'masked', label: 'masked', className: 'masked' },
  { key: 'denied', label: 'denied', className: 'denied' },
];

async function usage(form) {
  const values = formValues(form);
  const days = Math.min(366, Math.max(1, Number(values.days ?? 30) || 30));
  const since = new Date(Date.now() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  const { fieldUsage } = await graphql(API, USAGE, { from: `${since}T00:00:00Z`, coordinate: values.coordinate, client: values.client });
  // One bar per day of the range, empty days included, so gaps in use show as gaps.
  const byDay = new Map();
  for (let i = 0; i < days; i++) byDay.set(new Date(Date.parse(since) + i * DAY_MS).toISOString().slice(0, 10), { allowed: 0, masked: 0, denied: 0 });
  const byField = new Map();
  for (const u of fieldUsage) {
    const day = byDay.get(u.day);
    if (day) for (const d of DECISIONS) day[d.key] += u[d.key];
    const f = byField.get(u.coordinate) ?? { coordinate: u.coordinate, events: 0, values: 0, clients: new Set() };
    f.events += u.events;
    f.values += u.values;
    f.clients.add(u.client ?? '(no client name)');
    byField.set(u.coordinate, f);
  }
  const bars = [...byDay].map(([label, counts]) => ({ label, values: counts }));
  const fields = [...byField.values()].sort((a, b) => b.events - a.events).slice(0, 15);
  return [
    stackedBarChart({ bars, series: DECISIONS, title: `Field uses per day by decision, last ${days} days` }),
    table(
      [
        ['Field', (f) => h('code', {}, f.coordinate)],
        ['Uses', (f) => formatNumber(f.events)],
        ['Values returned', (f) => formatNumber(f.values)],
        ['Clients', (f) => [...f.clients].join(', ')],
      ],
      fields,
      { empty: 'No field was used in this range.', caption: 'Most used fields' },
    ),
  ];
}

async function subjectReport(form) {
  const values = formValues(form);
  const { subjectAccess } = await graphql(API, SUBJECT, { entityKey: values.entityKey, days: Number(values.days ?? 90) });
  return [
    h('p', { class: 'muted', id: 'subject-count' }, `${subjectAccess.length} access(es) to personal data of ${values.entityKey}`),
    table(
      [
        ['Time', (a) => formatTime(a.time)],
        ['Who', (a) => a.subject ?? 'anonymous'],
        ['Client', (a) => a.client ?? '—'],
        ['Purpose', (a) => a.purpose ?? '—'],
        // Masked values are marked: that caller saw a mask, not the value.
        ['Personal data returned', (a) => a.fields.map((f) => h('span', { class: 'chip' }, h('code', {}, f.coordinate), f.decision === 'masked' ? [' ', h('span', { class: 'badge masked' }, 'masked')] : []))],
      ],
      subjectAccess,
      { empty: 'Nobody has seen this subject’s personal data in this range.' },
    ),
  ];
}

function onSubmit(id, run) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    run(event.target);
  });
}

onSubmit('event-search', searchEvents);
onSubmit('usage-search', (form) => into($('usage'), () => usage(form)));
onSubmit('subject-search', (form) => into($('subject'), () => subjectReport(form)));
$('verify').addEventListener('click', () => into($('chain-status'), chainStatus));

mountShell({
  active: '/audit',
  onSession(signedIn) {
    $('signed-out').hidden = signedIn;
    $('audit').hidden = !signedIn;
    if (!signedIn) return;
    into($('chain-status'), chainStatus);
    searchEvents($('event-search'));
    into($('usage'), () => usage($('usage-search')));
    show($('subject'));
  },
});
