/**
 * End-to-end tests of the block explorer in headless Chromium (playwright-core driving the
 * `@sparticuz/chromium`, test/support/browser.ts), against the in-memory node of
 * test/support/memory-node.ts: the real ledgers, state, pool, store, RPC methods, indexers and
 * event stream, with a deterministic history of real signed txs over the past 15 days.
 * Screenshots of every page go to test-output/explorer/<page>.png (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { TX_KINDS } from '../../src/codec/types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XSS_INFO, startMemoryNode, type MemoryNode } from '../support/memory-node.ts';

// Browser globals, used only inside callbacks that Playwright runs in the page (the project's
// type-check has no DOM lib; declared here, they stay local to this module).
declare const document: any;
declare const window: any;
declare const location: any;

const OUT = new URL('../../test-output/explorer/', import.meta.url);
const WAIT = 10_000;

let node: MemoryNode;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

async function rpc<T = any>(method: string, ...params: unknown[]): Promise<T> {
  const res = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const j = (await res.json()) as { result?: T; error?: { message: string } };
  if (j.error) throw new Error(j.error.message);
  return j.result as T;
}

function watchConsole(p: Page, sink: string[]): void {
  p.on('console', (m) => {
    if (m.type() === 'error') sink.push(`${p.url()}: ${m.text()} (${m.location().url})`);
  });
  p.on('pageerror', (e) => sink.push(`${p.url()}: uncaught ${e.message}`));
}

/** Navigates to a hash route and waits until the explorer has rendered it. */
async function go(p: Page, hash: string, expectPrefix = hash): Promise<void> {
  const before = await p.evaluate(() => document.getElementById('main')?.dataset.rendered ?? '').catch(() => '');
  // the same URL again would be a fragment no-op (no hashchange): reload instead
  if (p.url() === node.url + hash) await p.reload();
  else await p.goto(node.url + hash);
  await waitRendered(p, expectPrefix, before);
}

async function waitRendered(p: Page, expectPrefix: string, before: string): Promise<void> {
  await p.waitForFunction(
    ([prefix, b]) => {
      const m = document.getElementById('main');
      return !!m && !!m.dataset.rendered && m.dataset.rendered !== b && m.dataset.hash === location.hash && decodeURIComponent(location.hash).startsWith(prefix);
    },
    [expectPrefix, before] as const,
    { timeout: WAIT },
  );
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: new URL(`${name}.png`, OUT).pathname, fullPage: true });
}

const digits = (s: string | null) => (s ?? '').replace(/\D/g, '');

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  // Chromium starts (its own process) while the node builds its history
  [node, browser] = await Promise.all([startMemoryNode(), launchChromium()]);
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  watchConsole(page, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await node?.stop();
});

describe('the in-memory node', () => {
  it('serves a history of real txs of every kind over 15 days, some failed, with a view change and leases that expired', async () => {
    const kinds = TX_KINDS.map((kind) => rpc<{ transactions: { status: number }[] }>('getTransactionList', { kind, limit: 100 }).then((r) => [kind, r.transactions] as const));
    for (const [kind, txs] of await Promise.all(kinds)) {
      expect(txs.length, kind).toBeGreaterThan(0);
      expect(txs.some((t) => t.status === 0), `a successful ${kind}`).toBe(true);
    }
    const totals = await rpc<{ txSum: number; failedTxSum: number }>('getTotalTransactionCount');
    expect(totals.failedTxSum).toBeGreaterThan(0);
    expect(totals.failedTxSum).toBeLessThan(totals.txSum / 2);
    const { days } = await rpc<{ days: { txs: number }[] }>('getTxStats', { days: 15 });
    expect(days.filter((d) => d.txs > 0).length).toBeGreaterThanOrEqual(8);
    const { blocks } = await rpc<{ blocks: { view: number }[] }>('getBlockList', { limit: 100 });
    expect(blocks.some((b) => b.view > 0)).toBe(true);
    const leases = await Promise.all([1, 2, 3, 4, 5, 6].map((id) => rpc<{ status: string } | null>('getLease', id)));
    expect(leases.some((l) => l?.status === 'expired')).toBe(true);
  });
});

describe('explorer in Chromium', () => {
  it('overview shows the same height, totals, chart and nodes as the RPC', async () => {
    await go(page, '#/');
    const [height, totals, pending, stats, info] = await Promise.all([
      rpc<number>('getBlockNumber'), rpc<{ txSum: number; failedTxSum: number }>('getTotalTransactionCount'), rpc<number>('getPendingTxSize'),
      rpc<{ days: { day: string; txs: number }[] }>('getTxStats', { days: 15 }), rpc<{ sealerCount: number; observerCount: number }>('getChainInfo'),
    ]);
    expect(digits(await page.textContent('#stat-height .v'))).toBe(String(height));
    expect(digits(await page.textContent('#stat-txs .v'))).toBe(String(totals.txSum));
    expect(digits(await page.textContent('#stat-failed'))).toBe(String(totals.failedTxSum));
    expect(digits(await page.textContent('#stat-pending .v'))).toBe(String(pending));
    expect(await page.textContent('#stat-members .v')).toBe(`${info.sealerCount} / ${info.observerCount}`);
    // chart: one bar group per day, zero days included
    const bars = await page.$$eval('svg.chart g.day', (gs) => gs.map((g) => [g.getAttribute('data-day'), Number(g.getAttribute('data-txs'))]));
    expect(bars).toEqual(stats.days.map((d) => [d.day, d.txs]));
    expect(bars.some(([, n]) => n === 0)).toBe(true);
    // node table: this node + 4 peers: company-a and -b up, company-c cut off (behind), observer-1 not running (down)
    const statuses = await page.$$eval('tr[data-peer] .badge', (bs) => bs.map((b) => b.textContent));
    expect(statuses).toEqual(['up', 'up', 'up', 'behind', 'down']);
    // latest blocks start at the head
    expect(await page.getAttribute('#latest-blocks tbody tr:first-child', 'data-height')).toBe(String(height));
    expect(await page.$$eval('#latest-txs tbody tr', (rs) => rs.length)).toBeGreaterThan(0);
    await shot(page, 'overview');
  });

  it('a new block appears on the overview without a reload (SSE)', async () => {
    await go(page, '#/');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.mode === 'sse');
    await page.evaluate(() => { (window as unknown as { __noReload: number }).__noReload = 1; });
    const b = await node.addBlock({ txs: 2, kinds: ['edgeMatch'] });
    await page.waitForFunction((n) => document.querySelector('#stat-height .v')?.textContent?.replace(/\D/g, '') === String(n) && !!document.querySelector(`#latest-blocks tr[data-height="${n}"]`), b.number);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
    await page.waitForSelector(`#latest-txs tr[data-tx="${b.txHashes[0]}"]`);
    const totals = await rpc<{ txSum: number }>('getTotalTransactionCount');
    expect(digits(await page.textContent('#stat-txs .v'))).toBe(String(totals.txSum));
  });

  it('blocks list pages backwards', async () => {
    await go(page, '#/blocks');
    const height = await rpc<number>('getBlockNumber');
    const first = await page.$$eval('tbody tr[data-height]', (rs) => rs.map((r) => Number(r.getAttribute('data-height'))));
    expect(first[0]).toBe(height);
    expect(first.length).toBe(Math.min(25, height + 1));
    await shot(page, 'blocks');
    const before = await page.evaluate(() => document.getElementById('main')!.dataset.rendered!);
    await page.click('#next-page');
    await waitRendered(page, '#/blocks?before=', before);
    const second = await page.$$eval('tbody tr[data-height]', (rs) => rs.map((r) => Number(r.getAttribute('data-height'))));
    expect(second[0]).toBe(first[first.length - 1] - 1);
  });

  it('block detail shows header fields, proposer, view, signers and txs', async () => {
    const b = await rpc<any>('getBlockByNumber', 5, false);
    await go(page, '#/block/5');
    const header = (await page.textContent('#block-header'))!;
    for (const v of [b.hash, b.parentHash, b.txRoot, b.stateRoot, b.receiptRoot, b.proposerName]) expect(header).toContain(v);
    expect(header).toContain(`View${b.view}`);
    const signers = await page.$$eval('#certificate tr.signer td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    expect(signers).toEqual(b.certificate.seals.map((s: { name: string }) => s.name));
    expect(signers.length).toBeGreaterThanOrEqual(3);
    const txs = await page.$$eval('#block-txs tr[data-tx]', (rs) => rs.map((r) => r.getAttribute('data-tx')));
    expect(txs).toEqual(b.transactions);
    await shot(page, 'block');
    await go(page, '#/block/0');
    expect(await page.textContent('#certificate')).toContain('no certificate');
  });

  it('an edgeMatch tx shows the chosen node, distance, price and lease', async () => {
    const [m] = await rpc<{ txHash: string }[]>('getRecentMatches', { limit: 1 });
    const rc = await rpc<{ match: { nodeId: string; distanceM: number; price: number; leaseId: number } }>('getTransactionReceipt', m.txHash);
    await go(page, `#/tx/${m.txHash}`);
    const card = (await page.textContent('#match'))!;
    expect(card).toContain(rc.match.nodeId);
    expect(await page.getAttribute(`#match a[href="#/node/${rc.match.nodeId}"]`, 'href')).toBeTruthy();
    const dist = (await page.textContent('#match-distance'))!;
    expect(dist).toBe(rc.match.distanceM >= 1000 ? `${(rc.match.distanceM / 1000).toFixed(2)} km` : `${rc.match.distanceM} m`);
    expect(digits(await page.textContent('#match-price'))).toBe(String(rc.match.price));
    expect(digits(await page.textContent('#match-lease'))).toBe(String(rc.match.leaseId));
    expect(await page.textContent('#payload')).toContain('taskType');
    expect(await page.textContent('#tx-summary')).toContain('success');
    // the map of one short match: its degree grid stays readable (the labels of the vertical lines do not overlap)
    const gridX = await page.$$eval('svg.map line.grid[y1="0"]', (ls) => ls.map((l) => Number(l.getAttribute('x1'))));
    expect(gridX.length).toBeGreaterThan(0);
    for (let i = 1; i < gridX.length; i++) expect(gridX[i] - gridX[i - 1]).toBeGreaterThanOrEqual(70);
    await shot(page, 'tx-edgematch');
  });

  it('the tx list filters by kind', async () => {
    await go(page, '#/txs');
    await shot(page, 'txs');
    for (const kind of ['edgeMatch', 'transfer']) {
      const before = await page.evaluate(() => document.getElementById('main')!.dataset.rendered!);
      await page.selectOption('#kind-filter', kind);
      await waitRendered(page, `#/txs?kind=${kind}`, before);
      const kinds = await page.$$eval('#tx-list tbody tr td .kind', (ks) => ks.map((k) => k.textContent));
      const expected = await rpc<{ transactions: { hash: string }[] }>('getTransactionList', { limit: 25, kind });
      expect(kinds.length).toBe(expected.transactions.length);
      expect(kinds.length).toBeGreaterThan(0);
      expect(new Set(kinds)).toEqual(new Set([kind]));
    }
    await shot(page, 'txs-edgematch-filter');
  });

  it('edge nodes page lists the registry and draws one marker per node', async () => {
    const { total } = await rpc<{ total: number }>('getEdgeNodes', { limit: 1000 });
    const matches = await rpc<unknown[]>('getRecentMatches', { limit: 100 });
    await go(page, '#/nodes');
    expect(await page.$$eval('#registry tbody tr', (r) => r.length)).toBe(total);
    expect(await page.$$eval('svg.map circle.en-marker', (c) => c.length)).toBe(total);
    expect(await page.$$eval('svg.map line.match-line', (c) => c.length)).toBe(matches.length);
    // every marker is inside the drawing
    const inside = await page.$$eval('svg.map', ([svg]) => {
      const [, , w, h] = svg.getAttribute('viewBox')!.split(' ').map(Number);
      return [...svg.querySelectorAll('circle.en-marker')].every((c) => {
        const x = Number(c.getAttribute('cx')), y = Number(c.getAttribute('cy'));
        return x > 0 && x < w && y > 0 && y < h;
      });
    });
    expect(inside).toBe(true);
    await shot(page, 'nodes');
    const id = (await page.getAttribute('#registry tbody tr:first-child', 'data-node'))!;
    await go(page, `#/node/${encodeURIComponent(id)}`, `#/node/${id}`);
    expect(await page.textContent('#node-detail')).toContain(id);
    expect(await page.$$eval('svg.map circle.en-marker', (c) => c.length)).toBe(1);
    await shot(page, 'node');
  });

  it('payments page shows open channels, what they lock, what was claimed and the recent claims; the nodes page shows lease cost and end', async () => {
    const all = await rpc<{ channels: Record<string, any>[] }>('getChannels', { limit: 1000 });
    await go(page, '#/payments');
    expect(await page.$$eval('#open-channels tbody tr.channel', (r) => r.length)).toBe(all.channels.filter((c) => c.status === 'open').length);
    expect(digits(await page.textContent('#ch-locked'))).toBe(String(all.channels.reduce((a, c) => a + c.remaining, 0)));
    expect(digits(await page.textContent('#ch-claimed'))).toBe(String(all.channels.reduce((a, c) => a + c.claimed, 0)));
    // channels by the block of their last claim, newest first
    const claimed = all.channels.filter((c) => c.lastClaimAt > 0).sort((a, b) => b.lastClaimAt - a.lastClaimAt || b.id - a.id);
    expect(claimed.length).toBeGreaterThanOrEqual(2);
    expect(await page.$$eval('#recent-claims tbody tr.claim', (r) => r.map((x) => [x.children[0].textContent, x.children[1].textContent, x.children[3].textContent]))).toEqual(
      claimed.map((c) => [String(c.lastClaimAt), String(c.id), c.claimed.toLocaleString('en-US')]),
    );
    await shot(page, 'payments');
    await go(page, '#/nodes');
    const first = (await rpc<Record<string, any>[]>('getRecentMatches', { limit: 1 }))[0];
    expect(digits(await page.textContent('#recent-matches tbody tr.match:first-child td.lease-cost'))).toBe(String(first.cost));
    expect(await page.getAttribute('#recent-matches tbody tr.match:first-child .lease-end', 'title')).toBe(new Date(first.endsAt).toISOString());
  });

  it('consortium page lists sealers and observers', async () => {
    await go(page, '#/consortium');
    expect(await page.$$eval('#sealers tr.sealer td:nth-child(2)', (t) => t.map((x) => x.textContent))).toEqual(['proxy', 'company-a', 'company-b', 'company-c']);
    expect(await page.$$eval('#observers tr.observer', (r) => r.length)).toBe(1);
    // evidence on chain is counted against its sealer and listed
    expect(await page.$$eval('#sealers tr.sealer td.evidence-count', (t) => t.map((x) => x.textContent))).toEqual(['none', 'none', 'none', '1 offence']);
    expect(await page.$$eval('#evidence tr.offence td:nth-child(2)', (t) => t.map((x) => x.textContent))).toEqual(['company-c']);
    expect(await page.$$eval('#evidence tr.offence td:nth-child(3)', (t) => t.map((x) => x.textContent))).toEqual(['PREPARE']);
    // governance: the companies, the proposals with their votes, the sealer-set history
    expect(await page.$$eval('#companies tr.company td:first-child', (t) => t.map((x) => x.textContent))).toEqual(['company-a', 'company-b', 'company-c']);
    expect(await page.$$eval('#proposals tr.proposal', (r) => r.map((x) => [x.children[0].textContent, x.children[2].textContent, x.children[3].textContent, x.children[4].textContent]))).toEqual([
      ['3', 'open', 'company-b', '—'],
      ['2', 'rejected', 'company-b', 'company-c'],
      ['1', 'passed', 'company-a, company-b, company-c', '—'],
    ]);
    // the passed proposal's membership entry (from its effect height) above the genesis entry
    const history = await page.$$eval('#sealer-history tr.sealer-set td:first-child', (t) => t.map((x) => x.textContent));
    expect(history).toHaveLength(2);
    expect(history[0]).toMatch(/^\d+$/);
    expect(history[1]).toBe('genesis');
    await shot(page, 'consortium');
  });

  it('search by height, block hash, tx hash, address and node id navigates to the right page', async () => {
    const b7 = await rpc<{ hash: string; transactions: string[] }>('getBlockByNumber', 7, false);
    const { nodes } = await rpc<{ nodes: { id: string; owner: string }[] }>('getEdgeNodes', { limit: 1 });
    const cases: [string, string][] = [
      ['7', '#/block/7'],
      [b7.hash, `#/block/${b7.hash}`],
      [b7.transactions[0], `#/tx/${b7.transactions[0]}`],
      [nodes[0].owner, `#/account/${nodes[0].owner}`],
      [nodes[0].id, `#/node/${nodes[0].id}`],
    ];
    await go(page, '#/');
    for (const [q, target] of cases) {
      const before = await page.evaluate(() => document.getElementById('main')!.dataset.rendered!);
      await page.fill('#search-input', q);
      await page.press('#search-input', 'Enter');
      await waitRendered(page, target, before);
      expect(decodeURIComponent(await page.evaluate(() => location.hash))).toBe(target);
      expect(await page.$('#not-found')).toBeNull();
      if (target.startsWith('#/account/')) await shot(page, 'account');
    }
  });

  it('bad searches, unknown hashes, heights beyond the head and bad routes show "not found"', async () => {
    const height = await rpc<number>('getBlockNumber');
    const cases = [
      '#/search/no-such-thing', '#/search/%20', `#/search/${height + 1000}`, `#/tx/0x${'ab'.repeat(32)}`, `#/block/0x${'cd'.repeat(32)}`,
      `#/block/${height + 1}`, '#/block/-1', '#/block/99999999999999999999', '#/tx/nothex', `#/account/0x${'12'.repeat(20)}`, '#/account/xyz',
      '#/node/no-such-node', '#/txs?kind=bogus', '#/blocks?before=abc', '#/nowhere', '#/search/%E0%A4%A',
    ];
    for (const c of cases) {
      const before = await page.evaluate(() => document.getElementById('main')?.dataset.rendered ?? '');
      await page.goto(node.url + c);
      await page.waitForFunction((b) => { const m = document.getElementById('main'); return !!m && m.dataset.rendered !== b && m.dataset.hash === location.hash; }, before);
      const h1 = await page.textContent('main h1');
      expect(h1, c).toBe('Not found');
      if (c.startsWith('#/tx/0x')) await shot(page, 'not-found');
    }
  });

  it('escapes chain data (device info with markup)', async () => {
    await go(page, `#/account/${node.malloryAddress}`);
    expect(await page.textContent('#account-detail')).toContain(XSS_INFO);
    expect(await page.$('main img, main script')).toBeNull();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('renders at phone width without horizontal overflow', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(WAIT);
    watchConsole(phone, consoleErrors);
    try {
      for (const [hash, name] of [['#/', 'overview-phone'], ['#/nodes', 'nodes-phone'], ['#/txs', 'txs-phone'], ['#/block/5', 'block-phone']] as const) {
        await go(phone, hash);
        const [docW, bodyW, vw] = await phone.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]);
        expect(docW, hash).toBeLessThanOrEqual(vw);
        expect(bodyW, hash).toBeLessThanOrEqual(vw);
        await shot(phone, name);
      }
    } finally {
      await phone.close();
    }
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});

describe('explorer without SSE', () => {
  let slow: MemoryNode;
  beforeAll(async () => {
    slow = await startMemoryNode({ sse: false, edgeNodes: 125 });
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it('falls back to polling and draws 125 edge nodes', async () => {
    const p = await ctx.newPage();
    p.setDefaultTimeout(WAIT);
    const errors: string[] = [];
    watchConsole(p, errors);
    try {
      await p.goto(slow.url + '#/');
      await p.waitForFunction(() => document.getElementById('live')?.dataset.mode === 'poll');
      const b = await slow.addBlock({ txs: 1 });
      await p.waitForFunction((n) => document.querySelector('#stat-height .v')?.textContent?.replace(/\D/g, '') === String(n), b.number, { timeout: 8000 });
      const res = await fetch(slow.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEdgeNodes', params: [{ limit: 1000 }] }) });
      const total = ((await res.json()) as { result: { total: number } }).result.total;
      expect(total).toBeGreaterThanOrEqual(125); // the 125 sites, plus nodes added (and some removed) by the history
      await p.goto(slow.url + '#/nodes');
      await p.waitForFunction((n) => document.querySelectorAll('svg.map circle.en-marker').length === n, total);
      await shot(p, 'nodes-125');
      // the only console noise allowed is the refused event stream
      expect(errors.filter((e) => !/\/events\)$|EventSource/.test(e))).toEqual([]);
    } finally {
      await p.close();
    }
  });
});
