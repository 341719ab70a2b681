// edgechain explorer — a plain ES module, no build step, no framework, no external assets.
// Reads only the node's public JSON-RPC (POST /) and its server-sent events (GET /events).
// Every string that comes from the chain goes through html`` (which escapes) before it
// reaches the DOM; only markup built here is ever inserted unescaped.

// ---------------------------------------------------------------------------------------
// Escaping and HTML building

class Raw {
  constructor(s) { this.s = s; }
  toString() { return this.s; }
}
const raw = (s) => new Raw(s);
const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const esc = (s) => String(s).replace(/[&<>"'`]/g, (c) => ESC[c]);

/** Tagged template: interpolated values are escaped unless they are Raw (built by html``). */
function html(strings, ...vals) {
  let out = strings[0];
  for (let i = 0; i < vals.length; i++) out += part(vals[i]) + strings[i + 1];
  return raw(out);
}
function part(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

// ---------------------------------------------------------------------------------------
// JSON-RPC

class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}
class NotFound extends Error {}

const RPC_INVALID_PARAMS = -32602;
const RPC_NOT_FOUND = -32001;
let rpcId = 0;

async function post(body) {
  const res = await fetch('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
  let j;
  try {
    j = await res.json();
  } catch {
    throw new RpcError(-1, `the node answered HTTP ${res.status} without JSON`);
  }
  return j;
}

async function rpc(method, ...params) {
  const j = await post({ jsonrpc: '2.0', id: ++rpcId, method, params });
  if (j && j.error) throw new RpcError(j.error.code, String(j.error.message), j.error.data);
  return j ? j.result : null;
}

/** Several calls in one JSON-RPC batch; results in order; throws the first error. */
async function batch(calls) {
  if (calls.length === 0) return [];
  const base = rpcId;
  rpcId += calls.length;
  const j = await post(calls.map(([method, ...params], i) => ({ jsonrpc: '2.0', id: base + i + 1, method, params })));
  if (!Array.isArray(j)) throw new RpcError(j && j.error ? j.error.code : -1, j && j.error ? String(j.error.message) : 'bad batch answer');
  const byId = new Map(j.map((r) => [r.id, r]));
  return calls.map((c, i) => {
    const r = byId.get(base + i + 1);
    if (!r) throw new RpcError(-1, `no answer for ${c[0]}`);
    if (r.error) throw new RpcError(r.error.code, String(r.error.message), r.error.data);
    return r.result;
  });
}

/** A call whose "bad input" or "missing" error means "not found" (null). */
async function rpcOrNull(method, ...params) {
  try {
    return await rpc(method, ...params);
  } catch (e) {
    if (e instanceof RpcError && (e.code === RPC_INVALID_PARAMS || e.code === RPC_NOT_FOUND)) return null;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// Formatting

const TX_KINDS = ['registerDevice', 'addNode', 'updateNode', 'removeNode', 'edgeMatch', 'releaseLease', 'transfer', 'renewLease', 'channelOpen', 'channelTopUp', 'channelClaim', 'channelClose', 'channelRefund', 'propose', 'vote', 'unregisterDevice', 'evidence'];
// Receipt status names by code, '' for an unused code (src/domain/receipts.ts ReceiptStatus; test/explorer/explorer-route.test.ts keeps them equal)
const STATUS_NAMES = ['OK', 'NOT_COMPANY', 'NOT_OWNER', 'NODE_EXISTS', 'UNKNOWN_NODE', 'NOT_DEVICE', 'DEVICE_EXISTS', 'INFO_TAKEN',
  'ROLE_NOT_ALLOWED', 'NO_CANDIDATE', 'UNKNOWN_LEASE', 'LEASE_NOT_ACTIVE', 'NOT_LEASE_PARTY', 'CAPACITY_BELOW_USED',
  'INSUFFICIENT_BALANCE', 'BALANCE_OVERFLOW', 'INVALID_TX', 'INSUFFICIENT_FUNDS', 'BAD_DURATION', 'LEASE_CAP', 'NOT_LEASE_DEVICE',
  'LEASE_NOT_RENEWABLE', 'UNKNOWN_CHANNEL', 'NOT_PAYER', 'NOT_PAYEE', 'CHANNEL_CLOSED', 'BAD_VOUCHER', 'STALE_VOUCHER',
  'VOUCHER_OVER_DEPOSIT', 'CHANNEL_NOT_EXPIRED', 'CHANNEL_EXPIRED', 'SELF_CHANNEL', 'CHANNEL_CLOSING',
  'NOT_MEMBER', 'UNKNOWN_PROPOSAL', 'PROPOSAL_CLOSED', 'PROPOSAL_EXPIRED', 'ALREADY_VOTED', 'UNKNOWN_MEMBER', 'MEMBER_EXISTS', 'MEMBERSHIP_GUARD', 'DUPLICATE_PROPOSAL', 'DEVICE_HAS_LEASES', '', '', '', '', '',
  'EVIDENCE_NOT_SEALER', 'EVIDENCE_BAD_SIGNATURE', 'EVIDENCE_DUPLICATE', 'EVIDENCE_FUTURE_HEIGHT'];
const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDR_RE = /^0x[0-9a-fA-F]{40}$/;
const HEIGHT_RE = /^[0-9]{1,15}$/;
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#7c3aed', '#d97706', '#0891b2', '#db2777', '#4d7c0f', '#9333ea', '#475569'];

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const int = (v) => (isNum(v) ? v.toLocaleString('en-US') : v === null || v === undefined ? '—' : String(v));
const short = (h, n = 6) => (typeof h === 'string' && h.length > 2 * n + 3 ? `${h.slice(0, n + 2)}…${h.slice(-n)}` : String(h ?? '—'));
const enc = (s) => encodeURIComponent(String(s));
const deg = (v) => (isNum(v) ? v.toFixed(5) : '—');
const metres = (m) => (!isNum(m) ? '—' : m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`);

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}
const fullTime = (ms) => new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
function shortTime(ms) {
  const d = new Date(ms);
  const today = d.toDateString() === new Date().toDateString();
  return today ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
/** Local time plus a relative age that the ticker keeps current. */
function when(ms, full = false) {
  if (!isNum(ms)) return html`<span class="muted">—</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${fullTime(ms)}"><span class="lt">${full ? fullTime(ms) : shortTime(ms)}</span> <span class="age muted" data-ts="${ms}">${ago(ms)}</span></time>`;
}

/** A time that may lie ahead (a lease's end, a channel's expiry): local time and "in …" or "ended". */
function due(ms) {
  if (!isNum(ms)) return html`<span class="muted">—</span>`;
  const left = Math.round((ms - Date.now()) / 1000);
  const rel = left <= 0 ? 'passed' : left < 120 ? `in ${left} s` : left < 7200 ? `in ${Math.round(left / 60)} min` : left < 172800 ? `in ${Math.round(left / 3600)} h` : `in ${Math.round(left / 86400)} d`;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${fullTime(ms)}"><span class="lt">${shortTime(ms)}</span> <span class="muted">${rel}</span></time>`;
}

const blockLink = (n, text) => html`<a href="#/block/${enc(n)}">${text ?? int(n)}</a>`;
const txLink = (h, n = 6) => html`<a class="mono" href="#/tx/${enc(h)}" title="${h}">${short(h, n)}</a>`;
const addrLink = (a, name) => (a ? html`<a class="mono" href="#/account/${enc(a)}" title="${a}">${name ? html`<span class="name">${name}</span>` : short(a, 4)}</a>` : html`<span class="muted">—</span>`);
const nodeLink = (id) => html`<a href="#/node/${enc(id)}">${id}</a>`;

function statusBadge(status, text, compact = false) {
  if (status === null || status === undefined) return html`<span class="badge pending">pending</span>`;
  if (status === 0) return html`<span class="badge ok">success</span>`;
  const name = text || STATUS_NAMES[status] || `code ${status}`;
  return html`<span class="badge fail" title="status ${status}: ${name}">failed${compact ? '' : html`: ${name}`}</span>`;
}
const onlineBadge = (on) => (on ? html`<span class="badge up">online</span>` : html`<span class="badge down">offline</span>`);
const kindTag = (k) => html`<span class="kind">${k}</span>`;

function table(headers, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table><thead><tr>${headers.map((h) => html`<th class="${h.cls || ''}">${h.label ?? h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
function kv(pairs) {
  return html`<dl class="kv">${pairs.filter(Boolean).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

// ---------------------------------------------------------------------------------------
// SVG: transactions per day

/** Drawing width for SVGs: the real pixel width of the main column, so text stays readable. */
function svgWidth() {
  return Math.round(Math.max(300, Math.min(1200, main.clientWidth - 36)));
}

function txChart(days) {
  if (!Array.isArray(days) || days.length === 0) return html`<p class="muted">No data.</p>`;
  const W = svgWidth(), H = W < 500 ? 180 : 230, L = 40, R = 8, T = 12, B = 30;
  const max = Math.max(1, ...days.map((d) => (isNum(d.txs) ? d.txs : 0)));
  const top = niceCeil(max);
  const slot = (W - L - R) / days.length;
  const bw = Math.max(4, slot * 0.7);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const ticks = [0, top / 2, top];
  const every = Math.max(1, Math.ceil(days.length / Math.floor((W - L) / 44)));
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Transactions per day over the last ${days.length} days">
    ${ticks.map((t) => html`<line class="axis" x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}"/><text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${int(Math.round(t))}</text>`)}
    ${days.map((d, i) => {
      const txs = isNum(d.txs) ? d.txs : 0;
      const failed = Math.min(txs, isNum(d.failed) ? d.failed : 0);
      const x = L + i * slot + (slot - bw) / 2;
      const label = String(d.day ?? '').slice(5);
      return html`<g class="day" data-day="${d.day}" data-txs="${txs}"><title>${d.day}: ${int(txs)} txs (${int(failed)} failed)</title>
        <rect class="bar-ok" x="${x}" width="${bw}" y="${y(txs)}" height="${Math.max(0, y(failed) - y(txs))}"/>
        <rect class="bar-fail" x="${x}" width="${bw}" y="${y(failed)}" height="${Math.max(0, y(0) - y(failed))}"/>
        ${i % every === 0 ? html`<text x="${x + bw / 2}" y="${H - 10}" text-anchor="middle">${label}</text>` : ''}</g>`;
    })}
  </svg>
  <div class="legend"><span><svg viewBox="0 0 10 10"><rect width="10" height="10" fill="#3b82f6"/></svg>succeeded</span><span><svg viewBox="0 0 10 10"><rect width="10" height="10" fill="#ef4444"/></svg>failed</span><span class="muted">UTC days</span></div>`;
}
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------------------------------
// SVG: map of edge nodes (equirectangular, fitted to the points, no tiles)

function ownerColours(nodes) {
  const owners = [...new Set(nodes.map((n) => String(n.owner)))].sort();
  return new Map(owners.map((o, i) => [o, PALETTE[i % PALETTE.length]]));
}

function edgeMap(nodes, matches, opts = {}) {
  const pts = [];
  for (const n of nodes) if (isNum(n.lat) && isNum(n.lon)) pts.push([n.lat, n.lon]);
  const lines = matches.filter((m) => isNum(m.deviceLat) && isNum(m.deviceLon) && isNum(m.nodeLat) && isNum(m.nodeLon));
  for (const m of lines) pts.push([m.deviceLat, m.deviceLon], [m.nodeLat, m.nodeLon]);
  if (pts.length === 0) return html`<p class="muted">No edge nodes to show.</p>`;
  let minLat = Math.min(...pts.map((p) => p[0])), maxLat = Math.max(...pts.map((p) => p[0]));
  let minLon = Math.min(...pts.map((p) => p[1])), maxLon = Math.max(...pts.map((p) => p[1]));
  const MIN_SPAN = 0.004; // about 400 m, so one node still gets a sensible frame
  if (maxLat - minLat < MIN_SPAN) { const c = (minLat + maxLat) / 2; minLat = c - MIN_SPAN / 2; maxLat = c + MIN_SPAN / 2; }
  if (maxLon - minLon < MIN_SPAN) { const c = (minLon + maxLon) / 2; minLon = c - MIN_SPAN / 2; maxLon = c + MIN_SPAN / 2; }
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const worldW = (maxLon - minLon) * kx, worldH = maxLat - minLat;
  const W = svgWidth(), P = W < 500 ? 16 : 28;
  const H = Math.round(Math.min(opts.compact ? 320 : W < 500 ? 420 : 600, Math.max(opts.compact ? 200 : 260, ((W - 2 * P) * worldH) / worldW + 2 * P)));
  const s = Math.min((W - 2 * P) / worldW, (H - 2 * P) / worldH);
  const ox = (W - worldW * s) / 2, oy = (H - worldH * s) / 2;
  const X = (lon) => +(ox + (lon - minLon) * kx * s).toFixed(1);
  const Y = (lat) => +(oy + (maxLat - lat) * s).toFixed(1);
  const colours = ownerColours(nodes);
  const r = nodes.length > 60 || W < 500 ? 4 : 6;
  // grid lines every "nice" step of degrees, at least 80 px apart: a frame wider than the points
  // (one short match on a wide page) spans many more degrees than they do, and its labels would overlap
  let step = niceStep(Math.max(maxLat - minLat, maxLon - minLon) / 5);
  for (let k = 0; k < 12 && step * kx * s < 80; k++) step = niceStep(step * 2.2);
  const latLines = [], lonLines = [];
  const latLo = maxLat - (H - oy) / s, latHi = maxLat + oy / s;
  const lonLo = minLon - ox / (kx * s), lonHi = minLon + (W - ox) / (kx * s);
  for (let i = Math.ceil(latLo / step); i * step <= latHi && latLines.length < 40; i++) if (Y(i * step) > 14 && Y(i * step) < H - 18) latLines.push([i * step, Y(i * step)]);
  for (let i = Math.ceil(lonLo / step); i * step <= lonHi && lonLines.length < 40; i++) if (X(i * step) > 60 && X(i * step) < W - 70) lonLines.push([i * step, X(i * step)]);
  const dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  // scale bar: about 120 px of the nicest round distance
  const pxPerM = (s * 1) / 111320;
  const barM = niceStep(120 / pxPerM);
  const barPx = barM * pxPerM;
  const ownerName = new Map(nodes.map((n) => [String(n.owner), n.ownerName || short(n.owner, 4)]));
  return html`<svg class="map" viewBox="0 0 ${W} ${H}" role="img" aria-label="Map of ${nodes.length} edge nodes and ${lines.length} recent matches">
    ${latLines.map(([v, yy]) => html`<line class="grid" x1="0" x2="${W}" y1="${yy}" y2="${yy}"/><text x="4" y="${yy - 3}">${v.toFixed(dec)}°</text>`)}
    ${lonLines.map(([v, xx]) => html`<line class="grid" y1="0" y2="${H}" x1="${xx}" x2="${xx}"/><text x="${xx + 3}" y="${H - 4}">${v.toFixed(dec)}°</text>`)}
    <g class="matches">${lines.map((m) => html`<g class="match"><title>${m.device} → ${m.nodeId}: ${metres(m.distanceM)}</title><line class="match-line" x1="${X(m.deviceLon)}" y1="${Y(m.deviceLat)}" x2="${X(m.nodeLon)}" y2="${Y(m.nodeLat)}"/><circle class="device" cx="${X(m.deviceLon)}" cy="${Y(m.deviceLat)}" r="2.5"/></g>`)}</g>
    <g class="nodes">${nodes.filter((n) => isNum(n.lat) && isNum(n.lon)).map((n) => html`<a href="#/node/${enc(n.id)}"><circle class="en-marker${n.online ? '' : ' offline'}" data-node-id="${n.id}" cx="${X(n.lon)}" cy="${Y(n.lat)}" r="${r}" fill="${colours.get(String(n.owner))}"><title>${n.id} (${n.ownerName || n.owner}) ${n.online ? 'online' : 'offline'}, ${int(n.used)}/${int(n.capacity)} used</title></circle></a>`)}</g>
    <g class="scale"><line x1="${W - P - barPx}" x2="${W - P}" y1="${H - 14}" y2="${H - 14}" stroke="#334155" stroke-width="2"/><text x="${W - P - barPx / 2}" y="${H - 19}" text-anchor="middle">${metres(barM)}</text></g>
  </svg>
  <div class="legend">
    ${[...colours].map(([o, c]) => html`<span><svg viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="${c}"/></svg>${ownerName.get(o)}</span>`)}
    <span><svg viewBox="0 0 10 10"><line x1="0" y1="5" x2="10" y2="5" stroke="#f59e0b" stroke-width="2"/></svg>recent match (device → node)</span>
    <span class="muted">faded dot: offline</span>
  </div>`;
}
function niceStep(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

// ---------------------------------------------------------------------------------------
// Shared fragments

function blockTable(blocks, newerThan, compact = false) {
  const hashCls = compact ? 'none' : 'opt';
  const head = [{ label: 'Height', cls: 'num' }, 'Time', 'Sealer', { label: 'View', cls: 'num opt' }, { label: 'Txs', cls: 'num' }, { label: 'Hash', cls: hashCls }];
  return table(head, blocks.map((b) => html`<tr class="${isNum(newerThan) && b.number > newerThan ? 'new' : ''}" data-height="${b.number}">
    <td class="num">${blockLink(b.number)}</td><td>${when(b.timestamp)}</td><td>${b.proposerName || short(b.proposer, 4)}</td>
    <td class="num opt">${int(b.view)}</td><td class="num">${int(b.txCount)}</td><td class="${hashCls}"><a class="mono" href="#/block/${enc(b.hash)}" title="${b.hash}">${short(b.hash)}</a></td></tr>`), 'No blocks yet.');
}

function txRows(txs, opts = {}) {
  return txs.map((t) => html`<tr data-tx="${t.hash}">
    <td>${txLink(t.hash, opts.compact ? 4 : 6)}</td>${opts.noBlock ? '' : html`<td class="num opt">${t.blockNumber === null ? html`<span class="muted">pending</span>` : blockLink(t.blockNumber)}</td>`}
    <td>${when(t.timestamp)}</td><td class="${opts.compact ? 'opt' : ''}">${addrLink(t.from)}</td><td>${kindTag(t.kind)}</td><td>${statusBadge(t.blockNumber === null ? null : t.status, '', opts.compact)}</td></tr>`);
}
function txTable(txs, opts = {}) {
  const head = ['Hash', ...(opts.noBlock ? [] : [{ label: 'Block', cls: 'num opt' }]), 'Time', { label: 'Sender', cls: opts.compact ? 'opt' : '' }, 'Kind', 'Status'];
  return table(head, txRows(txs, opts), opts.empty || 'No transactions.');
}

function nodeTable(nodes) {
  return table(['Id', 'Owner', { label: 'Location', cls: 'opt' }, { label: 'Types', cls: 'opt' }, { label: 'Used / capacity', cls: 'num' }, { label: 'Free', cls: 'num opt' }, { label: 'Price', cls: 'num' }, 'Online'],
    nodes.map((n) => html`<tr data-node="${n.id}"><td>${nodeLink(n.id)}</td><td>${addrLink(n.owner, n.ownerName)}</td>
      <td class="opt mono">${deg(n.lat)}, ${deg(n.lon)}</td><td class="opt">${(Array.isArray(n.serviceTypes) ? n.serviceTypes : []).join(', ')}</td>
      <td class="num">${int(n.used)} / ${int(n.capacity)}</td><td class="num opt">${int(n.free)}</td><td class="num">${int(n.price)}</td><td>${onlineBadge(n.online)}</td></tr>`), 'No edge nodes registered.');
}

/** A lease's end (ms of block time): a date, or "no term" for a lease made before paid leases. */
function leaseEnd(endsAt) {
  return isNum(endsAt) && endsAt > 0 ? html`<span class="lease-end" title="${new Date(endsAt).toISOString()}">${due(endsAt)}</span>` : html`<span class="muted">no term</span>`;
}

function matchTable(matches) {
  return table(['Time', 'Device', 'Edge node', { label: 'Distance', cls: 'num' }, { label: 'Lease', cls: 'num opt' }, { label: 'Cost', cls: 'num' }, 'Ends', { label: 'Tx', cls: 'opt' }],
    matches.map((m) => html`<tr class="match"><td>${when(m.timestamp)}</td><td>${addrLink(m.device)}</td><td>${nodeLink(m.nodeId)}</td><td class="num">${metres(m.distanceM)}</td><td class="num opt">${int(m.leaseId)}</td>
      <td class="num lease-cost">${isNum(m.cost) ? int(m.cost) : '—'}</td><td>${leaseEnd(m.endsAt)}</td><td class="opt">${txLink(m.txHash)}</td></tr>`), 'No matches yet.');
}

function channelTable(channels, empty = 'No channels.') {
  return table([{ label: 'Id', cls: 'num' }, 'Payer', 'Payee', { label: 'Deposit', cls: 'num' }, { label: 'Claimed', cls: 'num' }, { label: 'Left', cls: 'num opt' }, 'Status', { label: 'Expires', cls: 'opt' }],
    channels.map((c) => html`<tr class="channel" data-channel="${c.id}"><td class="num">${int(c.id)}</td><td>${addrLink(c.payer)}</td><td>${addrLink(c.payee)}</td><td class="num">${int(c.deposit)}</td>
      <td class="num">${int(c.claimed)}</td><td class="num opt">${int(c.remaining)}</td><td><span class="badge ${c.status === 'open' ? 'up' : c.status === 'closed' ? 'down' : ''}">${c.status}</span></td><td class="opt">${due(c.expiresAt)}</td></tr>`), empty);
}

async function allEdgeNodes(owner) {
  const out = [];
  for (let offset = 0; offset < 100000; ) {
    const r = await rpc('getEdgeNodes', owner ? { offset, limit: 1000, owner } : { offset, limit: 1000 });
    const page = r && Array.isArray(r.nodes) ? r.nodes : [];
    out.push(...page);
    offset += page.length;
    if (page.length === 0 || offset >= (r.total ?? 0)) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Pages. Each returns {title, body, live?, mount?}; live = which events refresh it.

const BEHIND_BY = 2; // a peer more than this many blocks below us shows as "behind"
let seenHeight = null; // highest height shown so far (for highlighting new rows)

async function pageOverview() {
  const [info, height, totals, pending, view, cons, peers, sealers, blocks, txs, stats] = await batch([
    ['getChainInfo'], ['getBlockNumber'], ['getTotalTransactionCount'], ['getPendingTxSize'], ['getPbftView'],
    ['getConsensusStatus'], ['getPeers'], ['getSealerList'], ['getBlockList', { limit: 20 }], ['getTransactionList', { limit: 10 }], ['getTxStats', { days: 15 }],
  ]);
  const list = blocks.blocks || [];
  let bpm = null;
  if (list.length >= 2) {
    const oldest = list[list.length - 1].timestamp;
    const span = Math.max(Date.now(), list[0].timestamp) - oldest;
    if (span > 0) bpm = ((list.length - 1) * 60000) / span;
  }
  const prev = seenHeight;
  seenHeight = Math.max(seenHeight ?? 0, height);
  const sealerBy = new Map();
  for (const s of sealers) { sealerBy.set(s.peerId, s); sealerBy.set(s.publicKey, s); }
  const roleOf = (p) => { const s = sealerBy.get(p.peerId) || sealerBy.get(p.publicKey); return s ? `sealer #${s.index} (${s.role})` : (p.role || 'observer'); };
  const nodeRows = [
    html`<tr data-peer="self"><td><b>${info.nodeName}</b> <span class="muted">(this node)</span></td><td>${info.role}</td><td class="num">${int(cons.height)}</td><td class="num">${int(cons.view)}</td><td><span class="badge up">up</span></td><td class="opt muted">—</td></tr>`,
    ...peers.map((p) => {
      const st = !p.connected ? 'down' : isNum(p.height) && p.height < cons.height - BEHIND_BY ? 'behind' : 'up';
      return html`<tr data-peer="${p.peerId}"><td>${p.name || 'unnamed'} <span class="muted mono peer" title="${p.peerId}">${short(p.peerId, 4)}</span></td><td>${roleOf(p)}</td>
        <td class="num">${int(p.height)}</td><td class="num">${isNum(p.view) ? int(p.view) : '—'}</td><td><span class="badge ${st}">${st}</span></td><td class="opt mono" title="${p.headHash}">${p.headHash ? short(p.headHash, 4) : '—'}</td></tr>`;
    }),
  ];
  const body = html`
    <h1>Overview <span class="muted">· ${info.chainId}</span></h1>
    <div class="stats">
      <div class="stat" id="stat-height"><div class="k">Block height</div><div class="v">${int(height)}</div><div class="s">${list[0] ? when(list[0].timestamp) : ''}</div></div>
      <div class="stat" id="stat-txs"><div class="k">Transactions</div><div class="v">${int(totals.txSum)}</div><div class="s" id="stat-failed">${int(totals.failedTxSum)} failed</div></div>
      <div class="stat" id="stat-pending"><div class="k">Pending</div><div class="v">${int(pending)}</div><div class="s">in the pool</div></div>
      <div class="stat" id="stat-view"><div class="k">PBFT view</div><div class="v">${int(view)}</div><div class="s">${cons.phase ? html`phase ${cons.phase}` : ''}</div></div>
      <div class="stat" id="stat-members"><div class="k">Sealers / observers</div><div class="v">${int(info.sealerCount)} / ${int(info.observerCount)}</div><div class="s">leader #${int(cons.leaderIndex)}</div></div>
      <div class="stat" id="stat-bpm"><div class="k">Blocks / minute</div><div class="v">${bpm === null ? '—' : bpm.toFixed(1)}</div><div class="s">last ${list.length} blocks</div></div>
    </div>
    <section class="card"><h2>Transactions per day</h2>${txChart(stats.days)}</section>
    <section class="card"><h2>Nodes <span class="muted">as seen from ${info.nodeName}</span></h2>
      ${table(['Node', 'Role', { label: 'Height', cls: 'num' }, { label: 'View', cls: 'num' }, 'Status', { label: 'Head', cls: 'opt' }], nodeRows)}</section>
    <div class="cols">
      <section class="card" id="latest-blocks"><h2>Latest blocks <a class="muted" href="#/blocks">all →</a></h2>${blockTable(list.slice(0, 10), prev, true)}</section>
      <section class="card" id="latest-txs"><h2>Latest transactions <a class="muted" href="#/txs">all →</a></h2>${txTable((txs.transactions || []).slice(0, 10), { noBlock: true, compact: true })}</section>
    </div>`;
  return { title: 'Overview', body, live: ['block', 'status'] };
}

async function pageBlocks(ctx) {
  const before = ctx.query.get('before');
  if (before !== null && !HEIGHT_RE.test(before)) throw new NotFound(`“${before}” is not a block height.`);
  const r = await rpc('getBlockList', before === null ? { limit: 25 } : { before: Number(before), limit: 25 });
  const blocks = r.blocks || [];
  const prev = seenHeight;
  if (before === null && blocks[0]) seenHeight = Math.max(seenHeight ?? 0, blocks[0].number);
  const body = html`<h1>Blocks</h1><section class="card">${blockTable(blocks, before === null ? prev : null)}
    <div class="pager">${before !== null ? html`<a class="btn" href="#/blocks">« newest</a>` : ''}${isNum(r.next) ? html`<a class="btn" id="next-page" href="#/blocks?before=${r.next}">older »</a>` : html`<span class="muted">end of chain</span>`}</div></section>`;
  return { title: 'Blocks', body, live: before === null ? ['block'] : [] };
}

async function pageBlock(ctx) {
  const id = ctx.params[0];
  let b = null;
  if (HEIGHT_RE.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER) b = await rpcOrNull('getBlockByNumber', Number(id), true);
  else if (HASH_RE.test(id)) b = await rpcOrNull('getBlockByHash', id.toLowerCase(), true);
  else throw new NotFound(`“${id}” is neither a block height nor a block hash.`);
  const headHeight = b ? await rpc('getBlockNumber') : null;
  if (!b) throw new NotFound(HASH_RE.test(id) ? `No block with hash ${id}.` : `There is no block ${id} yet.`);
  const txs = (b.transactions || []).filter((t) => t && typeof t === 'object');
  const shown = txs.slice(0, 500);
  if (shown.some((t) => !isNum(t.status))) {
    for (let i = 0; i < shown.length; i += 100) {
      const rs = await batch(shown.slice(i, i + 100).map((t) => ['getTransactionReceipt', t.hash]));
      rs.forEach((rc, j) => { if (rc) shown[i + j].status = rc.status; });
    }
  }
  const seals = b.certificate && Array.isArray(b.certificate.seals) ? b.certificate.seals : [];
  const signers = Array.isArray(b.signers) ? b.signers : [];
  const body = html`<h1>Block ${int(b.number)}</h1>
    <section class="card" id="block-header">${kv([
      ['Height', html`${int(b.number)} <span class="inline-nav">${b.number > 0 ? html`<a href="#/block/${b.number - 1}">‹ previous</a>` : ''}${isNum(headHeight) && b.number < headHeight ? html` <a href="#/block/${b.number + 1}">next ›</a>` : ''}</span>`],
      ['Hash', html`<span class="mono wrap-any">${b.hash}</span>`],
      ['Parent hash', b.number > 0 ? html`<a class="mono wrap-any" href="#/block/${enc(b.parentHash)}">${b.parentHash}</a>` : html`<span class="mono wrap-any">${b.parentHash}</span>`],
      ['Time', when(b.timestamp, true)],
      ['Proposer', html`${b.proposerName || ''} ${addrLink(b.proposer)}`],
      ['View', int(b.view)],
      ['Transactions', int(b.txCount)],
      ['Size', `${int(b.size)} bytes`],
      ['Tx root', html`<span class="mono wrap-any">${b.txRoot}</span>`],
      ['State root', html`<span class="mono wrap-any">${b.stateRoot}</span>`],
      ['Receipt root', html`<span class="mono wrap-any">${b.receiptRoot}</span>`],
    ])}</section>
    <section class="card" id="certificate"><h2>Commit certificate</h2>
      ${b.certificate ? html`<p>View ${int(b.certificate.view)} · ${int(signers.length)} signers</p>
        ${table([{ label: '#', cls: 'num' }, 'Sealer', 'Signature'], (seals.length ? seals : signers.map((s) => ({ sealer: s.index, name: s.name, signature: '' }))).map((s) => html`<tr class="signer"><td class="num">${int(s.sealer)}</td><td>${s.name}</td><td class="mono" title="${s.signature}">${s.signature ? short(s.signature, 8) : '—'}</td></tr>`))}`
        : html`<p class="muted">Genesis block: no certificate.</p>`}</section>
    <section class="card" id="block-txs"><h2>Transactions (${int(txs.length)})</h2>${txTable(shown, { noBlock: true, empty: 'No transactions in this block.' })}
      ${txs.length > shown.length ? html`<p class="muted">Showing the first ${shown.length}.</p>` : ''}</section>`;
  return { title: `Block ${b.number}`, body };
}

async function pageTxs(ctx) {
  const kind = ctx.query.get('kind') || '';
  const before = ctx.query.get('before');
  if (kind && !TX_KINDS.includes(kind)) throw new NotFound(`“${kind}” is not a transaction kind.`);
  if (before !== null && !HEIGHT_RE.test(before)) throw new NotFound(`“${before}” is not a block height.`);
  const params = { limit: 25 };
  if (kind) params.kind = kind;
  if (before !== null) params.beforeBlock = Number(before);
  const calls = [['getTransactionList', params]];
  if (before === null) calls.push(['getPendingTransactions', 20]);
  const [r, pend] = await batch(calls);
  const txs = r.transactions || [];
  const pending = (pend || []).filter((t) => !kind || t.kind === kind);
  const q = (b) => `#/txs?${new URLSearchParams({ ...(kind ? { kind } : {}), ...(b !== undefined ? { before: String(b) } : {}) })}`;
  const body = html`<h1>Transactions</h1>
    <div class="filter"><label for="kind-filter">Kind</label><select id="kind-filter"><option value="">all kinds</option>${TX_KINDS.map((k) => html`<option value="${k}"${k === kind ? raw(' selected') : ''}>${k}</option>`)}</select></div>
    ${pending.length ? html`<section class="card" id="pending-txs"><h2>Pending (${pending.length})</h2>${txTable(pending.map((t) => ({ ...t, blockNumber: null })), { noBlock: true })}</section>` : ''}
    <section class="card" id="tx-list">${txTable(txs, { empty: kind ? `No ${kind} transactions.` : 'No transactions.' })}
      <div class="pager">${before !== null ? html`<a class="btn" href="${q()}">« newest</a>` : ''}${isNum(r.nextBeforeBlock) ? html`<a class="btn" id="next-page" href="${q(r.nextBeforeBlock)}">older »</a>` : html`<span class="muted">no older transactions</span>`}</div></section>`;
  return {
    title: kind ? `Transactions: ${kind}` : 'Transactions', body, live: before === null ? ['block'] : [],
    mount(root) {
      root.querySelector('#kind-filter')?.addEventListener('change', (e) => {
        const k = e.target.value;
        location.hash = k ? `#/txs?kind=${enc(k)}` : '#/txs';
      });
    },
  };
}

function payloadView(kind, p) {
  if (!p || typeof p !== 'object') return html`<p class="muted">No payload.</p>`;
  const rows = Object.entries(p).map(([k, v]) => {
    let val;
    if (k === 'to' && typeof v === 'string' && ADDR_RE.test(v)) val = addrLink(v);
    else if ((k === 'id' || k === 'nodeId') && typeof v === 'string') val = nodeLink(v);
    else if (Array.isArray(v)) val = v.join(', ');
    else if (v && typeof v === 'object') val = html`<code class="wrap-any">${JSON.stringify(v)}</code>`;
    else val = typeof v === 'number' ? (k === 'lat' || k === 'lon' ? deg(v) : int(v)) : String(v);
    return [k, val];
  });
  return kv(rows);
}

async function pageTx(ctx) {
  const h = ctx.params[0];
  if (!HASH_RE.test(h)) throw new NotFound(`“${h}” is not a transaction hash.`);
  const [tx, rc] = await Promise.all([rpcOrNull('getTransactionByHash', h.toLowerCase()), rpcOrNull('getTransactionReceipt', h.toLowerCase())]);
  if (!tx) throw new NotFound(`No transaction with hash ${h}.`);
  const pending = tx.blockNumber === null || tx.blockNumber === undefined;
  let matchCard = '';
  if (tx.kind === 'edgeMatch') {
    const m = rc && rc.match;
    if (m) {
      const [node, lease] = await Promise.all([rpcOrNull('getEdgeNode', m.nodeId), rpcOrNull('getLease', m.leaseId)]);
      const p = tx.payload || {};
      const line = node && isNum(p.lat) ? [{ device: tx.from, deviceLat: p.lat, deviceLon: p.lon, nodeId: m.nodeId, nodeLat: node.lat, nodeLon: node.lon, distanceM: m.distanceM }] : [];
      matchCard = html`<section class="card" id="match"><h2>Match result</h2>${kv([
        ['Edge node', nodeLink(m.nodeId)],
        ['Distance', html`<span id="match-distance">${metres(m.distanceM)}</span>${m.distanceM >= 1000 ? html` <span class="muted">(${int(m.distanceM)} m)</span>` : ''}`],
        ['Price', html`<span id="match-price">${int(m.price)}</span>`],
        ['Lease', html`<span id="match-lease">#${int(m.leaseId)}</span>${lease ? html` · ${lease.status} · demand ${int(lease.demand)} · created at block ${blockLink(lease.createdAt)}` : ''}`],
        ['Demand', int(m.demand)],
      ])}${node ? html`<div class="mini">${edgeMap([node], line, { compact: true })}</div>` : ''}</section>`;
    } else if (rc) {
      matchCard = html`<section class="card" id="match"><h2>Match result</h2><p>No edge node was matched: ${rc.statusText || STATUS_NAMES[rc.status] || rc.status}${rc.reason ? html` — ${rc.reason}` : ''}.</p></section>`;
    }
  }
  const body = html`<h1>Transaction</h1>
    <section class="card" id="tx-summary">${kv([
      ['Hash', html`<span class="mono wrap-any">${tx.hash}</span>`],
      ['Status', rc ? statusBadge(rc.status, rc.statusText) : statusBadge(pending ? null : 0)],
      ['Block', pending ? html`<span class="muted">pending (in the pool)</span>` : html`${blockLink(tx.blockNumber)} · index ${int(tx.index)}`],
      ['Time', pending ? '—' : when(tx.timestamp, true)],
      ['Sender', addrLink(tx.from)],
      ['Nonce', int(tx.nonce)],
      ['Kind', kindTag(tx.kind)],
      ['Size', `${int(tx.size)} bytes`],
    ])}</section>
    ${matchCard}
    <section class="card" id="payload"><h2>Payload <span class="muted">(${tx.kind})</span></h2>${payloadView(tx.kind, tx.payload)}</section>
    <section class="card" id="receipt"><h2>Receipt</h2>${rc ? kv([
      ['Status', html`${int(rc.status)} · ${rc.statusText || STATUS_NAMES[rc.status] || ''}`],
      rc.reason ? ['Reason', rc.reason] : null,
      ['Block', blockLink(rc.blockNumber)],
      ['Index', int(rc.index)],
      ['Match', rc.match ? html`<code class="wrap-any">${JSON.stringify(rc.match)}</code>` : 'none'],
    ]) : html`<p class="muted">No receipt yet: the transaction is not in a finalized block.</p>`}</section>`;
  return { title: 'Transaction', body, live: pending ? ['block'] : [] };
}

async function pageNodes() {
  const [nodes, matches] = await Promise.all([allEdgeNodes(), rpc('getRecentMatches', { limit: 100 })]);
  const online = nodes.filter((n) => n.online).length;
  const cap = nodes.reduce((a, n) => a + (isNum(n.capacity) ? n.capacity : 0), 0);
  const used = nodes.reduce((a, n) => a + (isNum(n.used) ? n.used : 0), 0);
  const body = html`<h1>Edge nodes</h1>
    <div class="stats">
      <div class="stat"><div class="k">Edge nodes</div><div class="v" id="en-total">${int(nodes.length)}</div><div class="s">${int(online)} online</div></div>
      <div class="stat"><div class="k">Capacity used</div><div class="v">${int(used)} / ${int(cap)}</div><div class="s">${int(cap - used)} free</div></div>
      <div class="stat"><div class="k">Recent matches</div><div class="v">${int(matches.length)}</div><div class="s">drawn on the map</div></div>
    </div>
    <section class="card" id="map"><h2>Map</h2>${edgeMap(nodes, matches)}</section>
    <section class="card" id="registry"><h2>Registry</h2>${nodeTable(nodes)}</section>
    <section class="card" id="recent-matches"><h2>Recent matches</h2>${matchTable(matches.slice(0, 20))}</section>`;
  return { title: 'Edge nodes', body, live: ['block'] };
}

async function pageNode(ctx) {
  const id = ctx.params[0];
  if (id.length === 0 || id.length > 128) throw new NotFound('That is not an edge node id.');
  const n = await rpcOrNull('getEdgeNode', id);
  if (!n) throw new NotFound(`No edge node with id “${id}”.`);
  const matches = ((await rpc('getRecentMatches', { limit: 500 })) || []).filter((m) => m.nodeId === n.id);
  const body = html`<h1>Edge node ${n.id}</h1>
    <section class="card" id="node-detail">${kv([
      ['Id', n.id],
      ['Owner', html`${addrLink(n.owner, n.ownerName)} <span class="mono muted wrap-any">${n.owner}</span>`],
      ['Location', html`<span class="mono">${deg(n.lat)}, ${deg(n.lon)}</span> <span class="muted">(${int(n.latE6)}, ${int(n.lonE6)} µdeg)</span>`],
      ['Service types', (n.serviceTypes || []).join(', ') || '—'],
      ['Capacity', html`${int(n.used)} used / ${int(n.capacity)} · ${int(n.free)} free`],
      ['Price', int(n.price)],
      ['Status', onlineBadge(n.online)],
      ['Active leases', int(n.activeLeases)],
    ])}</section>
    <section class="card"><h2>Location and recent matches</h2>${edgeMap([n], matches, { compact: true })}</section>
    <section class="card"><h2>Recent matches (${matches.length})</h2>${matchTable(matches)}</section>`;
  return { title: `Edge node ${n.id}`, body, live: ['block'] };
}

async function pageAccount(ctx) {
  const a = ctx.params[0];
  if (!ADDR_RE.test(a)) throw new NotFound(`“${a}” is not an address.`);
  const addr = a.toLowerCase();
  const acc = await rpcOrNull('getAccount', addr);
  if (!acc) throw new NotFound(`No account ${a}.`);
  const [list, owned] = await Promise.all([rpc('getTransactionList', { limit: 50, from: addr }), acc.role === 'company' ? allEdgeNodes(addr) : Promise.resolve([])]);
  const sent = (list.transactions || []).filter((t) => String(t.from).toLowerCase() === addr);
  // getAccount answers every well-formed address (an untouched one is all zeros): one the chain never saw is not found
  if (!acc.name && !acc.device && !acc.balance && !acc.nonce && !acc.pendingNonce && sent.length === 0 && owned.length === 0) throw new NotFound(`No account ${a} on this chain: it never held a balance or sent a transaction.`);
  const body = html`<h1>Account ${acc.name ? acc.name : ''} <span class="mono muted wrap-any">${short(acc.address, 8)}</span></h1>
    <section class="card" id="account-detail">${kv([
      ['Address', html`<span class="mono wrap-any">${acc.address}</span>`],
      acc.name ? ['Name', acc.name] : null,
      ['Role', acc.role || '—'],
      ['Balance', int(acc.balance)],
      ['Nonce', html`${int(acc.nonce)} <span class="muted">(next: ${int(acc.pendingNonce)})</span>`],
      ['Device', acc.device ? html`registered at block ${blockLink(acc.device.registeredAt)} · <span class="wrap-any">${acc.device.info}</span>` : 'not a device'],
    ])}</section>
    ${acc.role === 'company' ? html`<section class="card" id="owned-nodes"><h2>Edge nodes (${owned.length})</h2>${nodeTable(owned)}</section>` : ''}
    <section class="card" id="account-txs"><h2>Recent transactions sent</h2>${txTable(sent, { empty: 'No recent transactions from this account.' })}</section>`;
  return { title: `Account ${short(acc.address, 4)}`, body };
}

/** The Consortium page's governance part (docs/GOVERNANCE.md): companies, proposals with their votes, the sealer-set history. */
function governanceSections(c, p) {
  if (!c || !p) return '';
  const companyName = new Map(c.companies.map((x) => [x.address, x.name]));
  const who = (a) => html`<a href="#/account/${a}">${companyName.get(a) || short(a, 4)}</a>`;
  const votes = (list) => (list.length ? list.map((a, i) => html`${i ? ', ' : ''}${who(a)}`) : html`<span class="muted">—</span>`);
  const target = (x) => x.name || (x.address ? short(x.address, 4) : short(x.publicKey));
  return html`<section class="card" id="companies"><h2>Companies <span class="muted">voting members · a proposal needs ${int(c.approvalsNeeded)} of ${int(c.companies.length)} approvals (more than 2/3)</span></h2>
      ${table(['Name', 'Address'], c.companies.map((x) => html`<tr class="company"><td>${x.name}</td><td>${addrLink(x.address)}</td></tr>`), 'No companies.')}
      ${c.proxy ? html`<p class="muted">Proxy: ${addrLink(c.proxy)}</p>` : ''}</section>
    <section class="card" id="proposals"><h2>Proposals <span class="muted">${int(p.total)}</span></h2>
      ${table([{ label: '#', cls: 'num' }, 'Change', 'Status', 'Approvals', 'Rejections', { label: 'Proposed', cls: 'opt' }, 'In effect from'],
        p.proposals.map((x) => html`<tr class="proposal"><td class="num">${int(x.id)}</td><td>${x.action} <b>${target(x)}</b></td>
          <td><span class="badge ${x.status === 'passed' ? 'up' : x.status === 'open' ? '' : 'down'}">${x.status}</span></td><td>${votes(x.approvals)}</td><td>${votes(x.rejections)}</td>
          <td class="opt">by ${who(x.proposer)} at ${blockLink(x.createdAt)} <span class="muted">(votes until ${int(x.expiresAt)})</span></td><td>${x.effectiveAt ? blockLink(x.effectiveAt) : html`<span class="muted">—</span>`}</td></tr>`), 'No proposals yet.')}</section>
    <section class="card" id="sealer-history"><h2>Sealer-set history</h2>
      ${table(['From height', 'Sealers', { label: 'n / quorum', cls: 'num' }, 'By proposal'],
        c.history.slice().reverse().map((e) => html`<tr class="sealer-set"><td>${e.fromHeight === 0 ? 'genesis' : blockLink(e.fromHeight)}</td><td>${e.sealers.map((s, i) => html`${i ? ', ' : ''}${s.name}`)}</td>
          <td class="num">${int(e.n)} / ${int(e.quorum)}</td><td>${e.proposal ? html`#${int(e.proposal)}` : html`<span class="muted">—</span>`}</td></tr>`))}</section>`;
}

async function pageConsortium() {
  const [info, sealers, observers, peers, cons, ev, consortium, proposals] = await batch([['getChainInfo'], ['getSealerList'], ['getObserverList'], ['getPeers'], ['getConsensusStatus'], ['getEvidence', { limit: 1000 }], ['getConsortium'], ['getProposals', { limit: 50 }]]);
  const peerBy = new Map();
  for (const p of peers) { peerBy.set(p.peerId, p); peerBy.set(p.publicKey, p); }
  const conn = (s) => {
    if (s.name === info.nodeName) return html`<span class="badge up">this node</span>`;
    const p = peerBy.get(s.peerId) || peerBy.get(s.publicKey);
    return p ? (p.connected ? html`<span class="badge up">connected</span> <span class="muted">h ${int(p.height)}</span>` : html`<span class="badge down">down</span>`) : html`<span class="badge down">unknown</span>`;
  };
  // evidence of equivocation on chain, counted against each sealer (docs/CONSENSUS.md "Evidence on chain")
  const evBy = new Map();
  for (const e of ev.evidence) evBy.set(e.sealer, (evBy.get(e.sealer) || 0) + 1);
  const nameOf = new Map(sealers.map((s) => [s.address, s.name]));
  const evCell = (s) => {
    const n = evBy.get(s.address) || 0;
    return n ? html`<a class="badge fail" href="#/consortium" title="${n} recorded offence(s): see Evidence below">${int(n)} offence${n === 1 ? '' : 's'}</a>` : html`<span class="muted">none</span>`;
  };
  const KIND_LABEL = { prePrepare: 'PRE-PREPARE', prepare: 'PREPARE', commit: 'COMMIT' };
  const body = html`<h1>Consortium</h1>
    <p class="muted">Chain ${info.chainId} · genesis <span class="mono" title="${info.genesisHash}">${short(info.genesisHash)}</span> · ${int(info.sealerCount)} sealers (quorum ${int(2 * Math.floor((info.sealerCount - 1) / 3) + 1)}) · ${int(info.observerCount)} observers</p>
    <section class="card" id="sealers"><h2>Sealers <span class="muted">in leader-rotation order</span></h2>
      ${table([{ label: '#', cls: 'num' }, 'Name', 'Role', 'Address', { label: 'Public key', cls: 'opt' }, { label: 'Peer id', cls: 'opt' }, 'Connection', 'Evidence'],
        sealers.map((s) => html`<tr class="sealer"><td class="num">${int(s.index)}${s.index === cons.leaderIndex ? html` <span class="badge" title="leader of the current round">leader</span>` : ''}</td><td>${s.name}</td><td>${s.role}</td>
          <td>${addrLink(s.address)}</td><td class="opt mono" title="${s.publicKey}">${short(s.publicKey)}</td><td class="opt mono" title="${s.peerId}">${short(s.peerId, 5)}</td><td>${conn(s)}</td><td class="evidence-count">${evCell(s)}</td></tr>`))}</section>
    <section class="card" id="evidence"><h2>Evidence of equivocation <span class="muted">two conflicting signed votes of one sealer, proven on chain</span></h2>
      ${table([{ label: 'Id', cls: 'num' }, 'Sealer', 'Offence', { label: 'Height', cls: 'num' }, { label: 'View', cls: 'num' }, { label: 'Blocks signed', cls: 'opt' }, 'Reported by', 'Recorded in'],
        ev.evidence.map((e) => html`<tr class="offence"><td class="num">${int(e.id)}</td><td>${addrLink(e.sealer, e.sealerName || nameOf.get(e.sealer))}</td><td>${KIND_LABEL[e.kind] || e.kind}</td>
          <td class="num">${blockLink(e.height)}</td><td class="num">${int(e.view)}</td><td class="opt mono">${e.blockHashes.map((h, i) => html`${i ? ' · ' : ''}<span title="${h}">${short(h)}</span>`)}</td>
          <td>${addrLink(e.reporter, nameOf.get(e.reporter))}</td><td>${blockLink(e.recordedAt)}</td></tr>`), 'No evidence: no sealer has been caught signing two blocks at one height and view.')}</section>
    <section class="card" id="observers"><h2>Observers</h2>
      ${table(['Name', { label: 'Public key', cls: 'opt' }, { label: 'Peer id', cls: 'opt' }, 'Connection'],
        observers.map((o) => html`<tr class="observer"><td>${o.name}</td><td class="opt mono" title="${o.publicKey}">${short(o.publicKey)}</td><td class="opt mono" title="${o.peerId}">${short(o.peerId, 5)}</td>
          <td>${o.name === info.nodeName ? html`<span class="badge up">this node</span>` : o.connected ? html`<span class="badge up">connected</span>` : html`<span class="badge down">down</span>`}</td></tr>`), 'No observers.')}</section>
    ${governanceSections(consortium, proposals)}`;
  return { title: 'Consortium', body, live: ['block'] };
}

async function pageSearch(ctx) {
  const q = ctx.params[0].trim();
  if (!q) throw new NotFound('Type a block height, a block or transaction hash, an address or an edge node id.');
  if (q.length > 200) throw new NotFound('That search is too long.');
  const r = await rpcOrNull('search', q);
  if (!r || typeof r !== 'object' || r.id === undefined || r.id === null) throw new NotFound(`Nothing matches “${q}”.`);
  const target = { block: '#/block/', transaction: '#/tx/', account: '#/account/', edgeNode: '#/node/' }[r.type];
  if (!target) throw new NotFound(`Nothing matches “${q}”.`);
  location.replace(target + enc(r.id));
  return null; // the hashchange renders the target
}

async function pagePayments() {
  const [open, all] = await Promise.all([rpc('getChannels', { status: 'open', limit: 1000 }), rpc('getChannels', { limit: 1000 })]);
  const channels = Array.isArray(all && all.channels) ? all.channels : [];
  const openList = Array.isArray(open && open.channels) ? open.channels : [];
  const locked = channels.reduce((a, c) => a + (isNum(c.remaining) ? c.remaining : 0), 0);
  const claimed = channels.reduce((a, c) => a + (isNum(c.claimed) ? c.claimed : 0), 0);
  const claims = channels.filter((c) => isNum(c.lastClaimAt) && c.lastClaimAt > 0).sort((a, b) => b.lastClaimAt - a.lastClaimAt || b.id - a.id).slice(0, 20);
  const body = html`<h1>Payments</h1>
    <p class="muted">EdgeToll payment channels: a payer deposits once and pays with signed off-chain vouchers; the payee claims the latest on chain.</p>
    <div class="stats">
      <div class="stat"><div class="k">Open channels</div><div class="v" id="ch-open">${int(open && isNum(open.total) ? open.total : openList.length)}</div><div class="s">${int(all && isNum(all.total) ? all.total : channels.length)} ever opened</div></div>
      <div class="stat"><div class="k">Locked in channels</div><div class="v" id="ch-locked">${int(locked)}</div><div class="s">deposits not yet claimed or refunded</div></div>
      <div class="stat"><div class="k">Claimed</div><div class="v" id="ch-claimed">${int(claimed)}</div><div class="s">paid to payees</div></div>
    </div>
    <section class="card" id="open-channels"><h2>Open channels</h2>${channelTable(openList, 'No open channels.')}</section>
    <section class="card" id="recent-claims"><h2>Recent claims</h2>${table([{ label: 'Block', cls: 'num' }, { label: 'Channel', cls: 'num' }, 'Payee', { label: 'Claimed (cumulative)', cls: 'num' }, { label: 'Of deposit', cls: 'num opt' }],
      claims.map((c) => html`<tr class="claim"><td class="num">${blockLink(c.lastClaimAt)}</td><td class="num">${int(c.id)}</td><td>${addrLink(c.payee)}</td><td class="num">${int(c.claimed)}</td><td class="num opt">${int(c.deposit)}</td></tr>`), 'No claims yet.')}</section>
    <section class="card" id="all-channels"><h2>All channels</h2>${channelTable(channels)}</section>`;
  return { title: 'Payments', body, live: ['block'] };
}

const ROUTES = [
  [/^\/payments$/, pagePayments, 'payments'],
  [/^\/$/, pageOverview, 'overview'],
  [/^\/blocks$/, pageBlocks, 'blocks'],
  [/^\/block\/([^/]+)$/, pageBlock, 'blocks'],
  [/^\/txs$/, pageTxs, 'txs'],
  [/^\/tx\/([^/]+)$/, pageTx, 'txs'],
  [/^\/nodes$/, pageNodes, 'nodes'],
  [/^\/node\/([^/]+)$/, pageNode, 'nodes'],
  [/^\/account\/([^/]+)$/, pageAccount, ''],
  [/^\/consortium$/, pageConsortium, 'consortium'],
  [/^\/search\/(.*)$/, pageSearch, ''],
];

// ---------------------------------------------------------------------------------------
// Router and rendering

const main = document.getElementById('main');
let renderSeq = 0;
let current = null; // {key, page, ctx, live}

function parseHash() {
  const h = location.hash.replace(/^#/, '') || '/';
  const qi = h.indexOf('?');
  const path = qi < 0 ? h : h.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
  return { path: path.startsWith('/') ? path : '/' + path, query };
}

function notFoundBody(msg) {
  return html`<section class="notfound" id="not-found"><h1>Not found</h1><p>${msg}</p><p><a href="#/">Back to the overview</a></p></section>`;
}

function errorBody(e) {
  if (e instanceof TypeError) return html`<section class="notfound" id="error"><h1>Cannot reach the node</h1><p class="error">${e.message}</p><p>It will retry on the next update; or <a href="${location.hash || '#/'}" id="retry">reload this page</a>.</p></section>`;
  const msg = e instanceof RpcError ? `The node answered with an error (${e.code}): ${e.message}` : `Something went wrong: ${e && e.message ? e.message : String(e)}`;
  return html`<section class="notfound" id="error"><h1>Error</h1><p class="error">${msg}</p><p><a href="#/">Back to the overview</a></p></section>`;
}

async function render(opts = {}) {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const key = location.hash;
  let route = null, params = [];
  for (const [re, page, nav] of ROUTES) {
    const m = re.exec(path);
    if (m) { route = { page, nav }; params = m.slice(1); break; }
  }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', !!route && a.dataset.nav === route.nav);
  let out;
  try {
    if (!route) throw new NotFound('There is no such page.');
    try {
      params = params.map((p) => decodeURIComponent(p));
    } catch {
      throw new NotFound('That link is malformed (bad percent-encoding).');
    }
    out = await route.page({ params, query });
    if (out === null) return; // redirected
  } catch (e) {
    if (seq !== renderSeq) return;
    if (opts.quiet && !(e instanceof NotFound)) return; // keep the page on a failed live refresh
    const nf = e instanceof NotFound || (e instanceof RpcError && (e.code === RPC_INVALID_PARAMS || e.code === RPC_NOT_FOUND));
    out = { title: nf ? 'Not found' : 'Error', body: nf ? notFoundBody(e.message) : errorBody(e), live: nf ? [] : ['block', 'status'] };
  }
  if (seq !== renderSeq) return; // a newer render started meanwhile
  document.title = `${out.title} · edgechain explorer`;
  main.innerHTML = out.body.s;
  main.dataset.page = route ? route.nav || path.split('/')[1] : 'none';
  current = { key, live: out.live || [] };
  if (out.mount) out.mount(main);
  if (!opts.quiet) window.scrollTo(0, 0);
  main.dataset.hash = key;
  main.dataset.rendered = String(seq);
}

// Live refreshes are serialised: at most one in flight, and at most one queued.
let refreshing = false, refreshQueued = false, lastStatusRefresh = 0;
async function refresh(event) {
  if (!current || !current.live.includes(event) || document.hidden) return;
  if (event === 'status') {
    if (Date.now() - lastStatusRefresh < 5000) return;
    lastStatusRefresh = Date.now();
  }
  if (refreshing) { refreshQueued = true; return; }
  refreshing = true;
  try {
    await render({ quiet: true });
  } finally {
    refreshing = false;
    if (refreshQueued) { refreshQueued = false; refresh('block'); }
  }
}

// ---------------------------------------------------------------------------------------
// Live updates: SSE (GET /events), or polling every 3 s when SSE is not available.

const liveEl = document.getElementById('live');
let lastHeight = null;
let pollTimer = null;
function setLive(mode) {
  liveEl.className = `live ${mode}`;
  liveEl.textContent = { sse: 'live', poll: 'polling', off: 'offline' }[mode] || mode;
  liveEl.dataset.mode = mode;
}
function onHeight(h) {
  if (!isNum(h)) return;
  if (lastHeight === null || h > lastHeight) {
    lastHeight = h;
    refresh('block');
  }
}
function startPolling() {
  if (pollTimer) return;
  setLive('poll');
  const tick = async () => {
    try {
      const h = await rpc('getBlockNumber');
      if (liveEl.dataset.mode !== 'sse') setLive('poll');
      const before = lastHeight;
      onHeight(h);
      if (before === lastHeight) refresh('status');
    } catch {
      if (liveEl.dataset.mode !== 'sse') setLive('off');
    }
  };
  tick();
  pollTimer = setInterval(tick, 3000);
}
function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}
function startLive() {
  if (typeof EventSource !== 'function') return startPolling();
  const es = new EventSource('/events');
  es.addEventListener('open', () => { stopPolling(); setLive('sse'); });
  es.addEventListener('block', (e) => {
    let d = null;
    try { d = JSON.parse(e.data); } catch { /* ignore a malformed event */ }
    if (d && isNum(d.number)) onHeight(d.number);
  });
  es.addEventListener('status', (e) => {
    let d = null;
    try { d = JSON.parse(e.data); } catch { /* ignore */ }
    if (d && isNum(d.height)) onHeight(d.height);
    refresh('status');
  });
  // The browser retries a dropped stream by itself (CONNECTING); a refused one is CLOSED for good.
  es.addEventListener('error', () => startPolling());
}

// Relative ages tick every second.
setInterval(() => {
  for (const el of document.querySelectorAll('[data-ts]')) {
    const ts = Number(el.dataset.ts);
    if (Number.isFinite(ts)) el.textContent = ago(ts);
  }
}, 1000);

document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('search-input');
  const q = input.value.trim();
  location.hash = `#/search/${enc(q)}`;
  input.blur();
});
let lastWidth = main.clientWidth, resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    const w = main.clientWidth;
    if (Math.abs(w - lastWidth) / lastWidth > 0.15 && main.querySelector('svg.chart, svg.map')) { lastWidth = w; render({ quiet: true }); }
  }, 300);
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh('block'); });
window.addEventListener('hashchange', () => render());

rpc('getChainInfo').then((info) => {
  document.getElementById('node-name').textContent = info && info.nodeName ? `· ${info.nodeName}` : '';
}).catch(() => {});
rpc('getBlockNumber').then((h) => { if (lastHeight === null && isNum(h)) lastHeight = h; }).catch(() => {});
render();
startLive();
