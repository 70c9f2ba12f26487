// The catalog page: data products with owner, service levels and live freshness; search over
// products, types and fields; the lineage graph between domains; each product's fields with
// description, classification, resolving domain and usage. Reads POST /catalog/graphql.
import { errorBox, formatNumber, formatTime, graphql, h, mountShell, show, table } from './app.js';

const API = '/catalog/graphql';
const $ = (id) => document.getElementById(id);

const CATALOG = `query Catalog {
  dataProducts {
    name title description version tags fieldCount usage
    owner { team contact }
    serviceLevels { freshness availability }
    freshness { status newestDataAt ageSeconds objective reason }
    types { name kind description keys home domains
      fields { coordinate name type description level category resolvedBy deprecationReason usage { events values clients lastUsed } } }
  }
  lineage { kind coordinate fromDomain toDomain entity }
}`;

let catalog = null;

const levelBadge = (level, category) =>
  level ? h('span', { class: `badge level-${level.toLowerCase()}` }, level, category ? ` · ${category}` : '') : h('span', { class: 'badge denied' }, 'unclassified');

function age(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

function freshnessBadge(f) {
  const text =
    f.status === 'FRESH'
      ? `fresh · ${age(f.ageSeconds)} old (objective ${f.objective})`
      : f.status === 'STALE'
        ? `stale · ${age(f.ageSeconds)} old (objective ${f.objective})`
        : `freshness unknown · ${f.reason}`;
  return h('span', { class: `badge freshness-${f.status.toLowerCase()}`, title: f.newestDataAt ? `newest data loaded ${formatTime(f.newestDataAt)}` : f.reason }, text);
}

function productCard(p) {
  return h(
    'article',
    { class: 'product', 'data-product': p.name },
    h('header', {}, h('h2', {}, p.title ?? p.name), h('span', { class: 'muted' }, `${p.name} · v${p.version}`)),
    h('p', { class: 'description' }, p.description),
    h(
      'dl',
      {},
      h('dt', {}, 'Owner'),
      h('dd', {}, p.owner.team, ' · ', h('a', { href: `mailto:${p.owner.contact}` }, p.owner.contact)),
      h('dt', {}, 'Freshness'),
      h('dd', {}, freshnessBadge(p.freshness)),
      h('dt', {}, 'Availability'),
      h('dd', {}, p.serviceLevels.availability ?? '—'),
      h('dt', {}, 'Fields'),
      h('dd', {}, `${formatNumber(p.fieldCount)} in ${p.types.length} types`, p.usage !== null ? ` · ${formatNumber(p.usage)} uses in 30 days` : ''),
    ),
    h('div', { class: 'tags' }, p.tags.map((t) => h('span', { class: 'chip' }, t))),
    h('a', { class: 'button', href: `#product=${encodeURIComponent(p.name)}` }, 'Fields and lineage →'),
  );
}

const usageCell = (f) =>
  f.usage ? (f.usage.events ? [`${formatNumber(f.usage.events)} uses`, h('div', { class: 'muted' }, f.usage.clients.join(', '))] : h('span', { class: 'muted' }, 'unused')) : '—';

const FIELD_COLUMNS = [
  ['Field', (f) => [h('code', {}, f.coordinate), f.deprecationReason ? h('div', { class: 'muted' }, `deprecated: ${f.deprecationReason}`) : null]],
  ['Type', (f) => h('code', {}, f.type)],
  ['Description', (f) => f.description ?? h('span', { class: 'muted' }, 'undocumented')],
  ['Classification', (f) => levelBadge(f.level, f.category)],
  ['Resolved by', (f) => f.resolvedBy.join(', ')],
  ['Usage (30 days)', usageCell],
];

function lineageTable(links) {
  return table(
    [
      ['Field', (l) => h('code', {}, l.coordinate)],
      ['Kind', (l) => l.kind.toLowerCase()],
      ['From', (l) => l.fromDomain],
      ['To', (l) => l.toDomain],
      ['Entity', (l) => l.entity],
    ],
    links,
    { empty: 'No links to other domains.' },
  );
}

/** Domains on a circle, one arrow per (from, to) pair, labelled with how many fields link them. */
function lineageGraph(domains, links) {
  const size = 440;
  const centre = size / 2;
  const radius = 150;
  const pos = new Map(domains.map((d, i) => {
    const angle = (2 * Math.PI * i) / domains.length - Math.PI / 2;
    return [d, { x: centre + radius * Math.cos(angle), y: centre + radius * Math.sin(angle) }];
  }));
  const pairs = new Map();
  for (const l of links) {
    const key = `${l.fromDomain}→${l.toDomain}`;
    const p = pairs.get(key) ?? { from: l.fromDomain, to: l.toDomain, fields: [] };
    p.fields.push(`${l.coordinate} (${l.kind.toLowerCase()})`);
    pairs.set(key, p);
  }
  const edges = [...pairs.values()].map((p) => {
    const a = pos.get(p.from);
    const b = pos.get(p.to);
    if (!a || !b) return null;
    // Offset each direction sideways so A→B and B→A do not overlap; stop short of the node.
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const nx = (-dy / len) * 8;
    const ny = (dx / len) * 8;
    const trim = 42 / len;
    const x1 = a.x + dx * trim + nx;
    const y1 = a.y + dy * trim + ny;
    const x2 = b.x - dx * trim + nx;
    const y2 = b.y - dy * trim + ny;
    return h(
      'svg:g',
      { class: 'edge', 'data-from': p.from, 'data-to': p.to },
      h('svg:title', {}, `${p.from} → ${p.to}: ${p.fields.join(', ')}`),
      h('svg:line', { x1, y1, x2, y2, 'marker-end': 'url(#arrow)' }),
      h('svg:text', { x: (x1 + x2) / 2 + nx * 1.6, y: (y1 + y2) / 2 + ny * 1.6, 'text-anchor': 'middle', class: 'edge-label' }, String(p.fields.length)),
    );
  });
  const nodes = domains.map((d) => {
    const { x, y } = pos.get(d);
    return h(
      'svg:g',
      { class: 'node', 'data-domain': d },
      h('svg:circle', { cx: x, cy: y, r: 40 }),
      h('svg:text', { x, y: y + 4, 'text-anchor': 'middle' }, d.length > 12 ? `${d.slice(0, 11)}…` : d),
      h('svg:title', {}, d),
    );
  });
  return h(
    'svg:svg',
    { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: 'img', 'aria-label': 'Lineage graph between domains', class: 'lineage' },
    h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, h('svg:path', { d: 'M0,0 L10,5 L0,10 z' }))),
    edges,
    nodes,
  );
}

function renderProduct(name) {
  const section = $('product');
  const p = catalog?.dataProducts.find((x) => x.name === name);
  if (!p) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  show(
    section,
    h('div', { class: 'card-head' }, h('h2', { id: 'product-heading' }, `${p.title ?? p.name}: fields`), h('a', { href: '#' }, 'Close')),
    h('p', { class: 'muted' }, p.description),
    p.types.map((t) =>
      h(
        'section',
        { class: 'type', 'data-type': t.name },
        h('h3', {}, t.name, ' ', t.keys.length ? h('span', { class: 'chip' }, `entity · key ${t.keys.join(' | ')}`) : null, ' ', t.home !== p.name ? h('span', { class: 'muted' }, `lives in ${t.home}`) : null),
        t.description ? h('p', { class: 'muted' }, t.description) : null,
        table(FIELD_COLUMNS, t.fields),
      ),
    ),
    h('h3', {}, 'Links from and to this product'),
    lineageTable(catalog.lineage.filter((l) => l.fromDomain === p.name || l.toDomain === p.name)),
  );
  section.scrollIntoView({ block: 'start' });
}

const routeProduct = () => renderProduct(decodeURIComponent((location.hash.match(/^#product=(.+)$/) ?? [])[1] ?? ''));

/** Filters products and fields by the search box and level, on the loaded catalog. */
function applySearch() {
  const text = $('search-text').value.trim().toLowerCase();
  const level = $('search-level').value;
  const hit = (...values) => !text || values.some((v) => v && String(v).toLowerCase().includes(text));
  const fieldHit = (f) => (!level || f.level === level) && hit(f.coordinate, f.type, f.description, f.level, f.category);
  const products = catalog.dataProducts.filter(
    (p) => (!level && hit(p.name, p.title, p.description, p.owner.team, p.owner.contact, ...p.tags)) || p.types.some((t) => (!level && hit(t.name, t.description)) || t.fields.some(fieldHit)),
  );
  show($('products'), products.length ? products.map(productCard) : h('p', { class: 'muted empty' }, 'No data product matches.'));
  const searching = Boolean(text || level);
  $('field-results').hidden = !searching;
  if (searching) {
    const seen = new Set();
    const fields = catalog.dataProducts.flatMap((p) => p.types.flatMap((t) => t.fields)).filter((f) => fieldHit(f) && !seen.has(f.coordinate) && seen.add(f.coordinate));
    show($('field-list'), h('p', { class: 'muted', id: 'field-count' }, `${fields.length} field(s)`), table(FIELD_COLUMNS, fields, { empty: 'No field matches.' }));
  }
}

async function load() {
  try {
    catalog = await graphql(API, CATALOG);
  } catch (err) {
    show($('products'), errorBox(err));
    return;
  }
  const domains = catalog.dataProducts.map((p) => p.name);
  show($('lineage'), h('div', { class: 'lineage-box' }, lineageGraph(domains, catalog.lineage), h('div', { class: 'lineage-table' }, lineageTable(catalog.lineage))));
  applySearch();
  routeProduct();
}

$('search').addEventListener('submit', (event) => event.preventDefault());
$('search-text').addEventListener('input', () => catalog && applySearch());
$('search-level').addEventListener('change', () => catalog && applySearch());
window.addEventListener('hashchange', routeProduct);

mountShell({
  active: '/catalog',
  onSession(signedIn) {
    $('signed-out').hidden = signedIn;
    $('catalog').hidden = !signedIn;
    if (signedIn) load();
  },
});
