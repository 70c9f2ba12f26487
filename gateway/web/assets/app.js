// The front end's shared parts: element building, the signed-in token, calls to the gateway's
// GraphQL APIs, tables and a bar chart. Plain ES modules: no build step, nothing from elsewhere.

/**
 * Creates an element. Children are nodes or text; text is never parsed as HTML, so values from
 * the APIs cannot inject markup. `on*` props become listeners; other props become attributes.
 */
export function h(tag, props = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// The token lives in sessionStorage: gone when the tab closes, never sent anywhere but this gateway.
const TOKEN_KEY = 'meshgate.token';
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token.trim().replace(/^Bearer\s+/i, '')),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An error an API answered with: its `extensions.code` and message (or an HTTP failure). */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Posts a GraphQL operation to one of the gateway's endpoints with the signed-in token. */
export async function graphql(endpoint, query, variables = {}) {
  const headers = { 'content-type': 'application/json', 'apollographql-client-name': 'meshgate-web' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new ApiError('NETWORK_ERROR', `the gateway did not answer (${err.message})`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `the gateway answered ${response.status} without a GraphQL body`);
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.extensions?.code ?? `HTTP_${response.status}`, first.message);
  }
  return body.data;
}

/** Shows an API error where a result would be, with its code first. */
export function errorBox(err) {
  const code = err instanceof ApiError ? err.code : 'ERROR';
  const hint =
    code === 'UNAUTHENTICATED' ? ' Sign in with a valid token.' : code === 'FORBIDDEN' ? ' Your token does not grant this view.' : '';
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, code), ' ', err.message, hint);
}

/** Replaces an element's content. */
export function show(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
}

/**
 * The page frame: header with navigation and the sign-in form. Calls `onSession(signedIn)` now
 * and whenever the user signs in or out.
 */
export function mountShell({ active, onSession }) {
  const nav = h(
    'nav',
    { 'aria-label': 'Sections' },
    [
      ['/catalog', 'Catalog'],
      ['/audit', 'Audit'],
    ].map(([href, label]) => h('a', { href, 'aria-current': href === active ? 'page' : undefined }, label)),
  );
  const sessionArea = h('div', { class: 'session' });
  const header = h('header', { class: 'top' }, h('a', { class: 'brand', href: '/' }, 'Meshgate'), nav, sessionArea);
  document.body.prepend(header);

  const render = () => {
    if (session.token()) {
      show(
        sessionArea,
        h('span', { class: 'muted' }, 'Signed in with a bearer token'),
        h('button', { type: 'button', id: 'sign-out', onClick: () => (session.signOut(), render()) }, 'Sign out'),
      );
      onSession(true);
    } else {
      const input = h('input', {
        id: 'token',
        type: 'password',
        name: 'token',
        placeholder: 'Bearer token',
        autocomplete: 'off',
        required: true,
        'aria-label': 'Bearer token',
      });
      const form = h(
        'form',
        {
          class: 'sign-in',
          onSubmit: (event) => {
            event.preventDefault();
            session.signIn(input.value);
            render();
          },
        },
        input,
        h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'),
      );
      show(sessionArea, form);
      onSession(false);
    }
  };
  render();
}

/** A table: `columns` are [heading, row => cell content]; an empty list says so. */
export function table(columns, rows, { empty = 'Nothing found.', caption } = {}) {
  if (!rows.length) return h('p', { class: 'muted empty' }, empty);
  return h(
    'table',
    {},
    caption && h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(row)))))),
  );
}

/** Reads a form's named inputs; empty ones are left out. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) if (String(value).trim() !== '') values[name] = String(value).trim();
  return values;
}

export const formatTime = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '');
export const formatNumber = (n) => new Intl.NumberFormat('en').format(n);

/**
 * A stacked bar chart as SVG: one bar per category (e.g. a day), one colour per series.
 * `bars` is [{ label, values: { [series]: number } }]; `series` is [{ key, label, className }].
 */
export function stackedBarChart({ bars, series, title, height = 220 }) {
  const left = 44;
  const bottom = 40;
  const top = 12;
  const slot = Math.max(14, Math.min(48, Math.floor(1040 / Math.max(bars.length, 1))));
  const width = left + slot * bars.length + 12;
  const totals = bars.map((b) => series.reduce((sum, s) => sum + (b.values[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const plot = height - top - bottom;
  const y = (v) => top + plot - (v / max) * plot;

  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, all) => all.indexOf(v) === i);
  const grid = ticks.map((t) => [
    h('svg:line', { x1: left, x2: width - 8, y1: y(t), y2: y(t), class: 'grid' }),
    h('svg:text', { x: left - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, formatNumber(t)),
  ]);
  const columns = bars.map((bar, i) => {
    const x = left + i * slot + 3;
    let base = 0;
    const rects = series.map((s) => {
      const v = bar.values[s.key] ?? 0;
      if (!v) return null;
      const rect = h(
        'svg:rect',
        { x, width: slot - 6, y: y(base + v), height: Math.max(1, y(base) - y(base + v)), class: `bar ${s.className}` },
        h('svg:title', {}, `${bar.label}: ${formatNumber(v)} ${s.label}`),
      );
      base += v;
      return rect;
    });
    // Label every bar when few, else every few so labels never overlap.
    const every = Math.ceil(bars.length / 12);
    const label =
      i % every === 0
        ? h('svg:text', { x: x + (slot - 6) / 2, y: height - bottom + 16, class: 'tick', 'text-anchor': 'middle' }, bar.label.slice(5))
        : null;
    return [rects, label];
  });
  const legend = h(
    'div',
    { class: 'legend' },
    series.map((s) => h('span', {}, h('i', { class: `swatch ${s.className}` }), s.label)),
  );
  const chart = h(
    'svg:svg',
    { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title, class: 'chart' },
    h('svg:title', {}, title),
    grid,
    columns,
  );
  return h('figure', { class: 'chart-box' }, chart, legend);
}
