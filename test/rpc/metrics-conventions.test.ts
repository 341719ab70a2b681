/**
 * /metrics of a real node follows the Prometheus conventions that `promtool check metrics`
 * checks (CI runs promtool too, test/../.ci/run; this test needs only Node): HELP and TYPE for
 * every family, snake_case names and labels, `_total` on counters and only on counters, base
 * units, no reserved suffixes or labels outside histograms, one prefix for our own metrics,
 * bounded label values. Plus what an operator alerts on: build info, last block time, peers,
 * libp2p metrics; and the sample Grafana dashboard only uses metrics that exist.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { scrapeMetrics } from '../../scripts/metrics-scrape.ts';

interface Family {
  name: string;
  type?: string;
  help?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function parseExposition(text: string): { families: Map<string, Family>; errors: string[] } {
  const families = new Map<string, Family>();
  const errors: string[] = [];
  const fam = (name: string) => families.get(name) ?? (families.set(name, { name, samples: [] }), families.get(name)!);
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let m = /^# HELP (\S+) ?(.*)$/.exec(line);
    if (m) {
      fam(m[1]).help = m[2];
      continue;
    }
    m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) {
      fam(m[1]).type = m[2];
      continue;
    }
    if (line.startsWith('#')) continue;
    m = /^([^\s{]+)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) {
      errors.push(`unparsable line: ${line}`);
      continue;
    }
    const [, name, rawLabels = '', value] = m;
    if (seen.has(name + '{' + rawLabels + '}')) errors.push(`duplicate series ${name}{${rawLabels}}`);
    seen.add(name + '{' + rawLabels + '}');
    const labels: Record<string, string> = {};
    for (const lm of rawLabels.matchAll(/([^=,\s]+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    const base = [...families.keys()].reverse().find((f) => name === f || (/_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, '') === f && /histogram|summary/.test(families.get(f)!.type ?? '')));
    if (!base) errors.push(`sample ${name} has no # TYPE`);
    else fam(base).samples.push({ name, labels, value: Number(value) });
  }
  return { families, errors };
}

const NON_BASE_UNITS = /_(ms|us|ns|sec|secs|msec|usec|milliseconds|microseconds|nanoseconds|minutes|hours|days|kb|mb|gb|kib|mib|gib|kilobytes|megabytes|gigabytes|bits|percent)(_|$)/;

/** Every violation of the conventions, one line each (empty = clean). */
function conventionFindings(families: Map<string, Family>): string[] {
  const out: string[] = [];
  for (const f of families.values()) {
    const n = f.name;
    if (!f.type) out.push(`${n}: no TYPE`);
    if (!f.help) out.push(`${n}: no help text`);
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) out.push(`${n}: not snake_case (or has a colon)`);
    if (!/^(edgechain|process|nodejs)_/.test(n)) out.push(`${n}: outside the edgechain_ prefix (and not a standard process_/nodejs_ metric)`);
    if (/^edgechain_(process|nodejs)_/.test(n)) out.push(`${n}: a standard metric under our prefix (dashboards will not find it)`);
    if (f.type === 'counter' && !n.endsWith('_total')) out.push(`${n}: counter without _total`);
    if (f.type !== 'counter' && n.endsWith('_total')) out.push(`${n}: non-counter with _total suffix`);
    if (f.type !== 'histogram' && f.type !== 'summary' && /_(bucket|count|sum)$/.test(n)) out.push(`${n}: reserved suffix on a ${f.type}`);
    if (NON_BASE_UNITS.test(n)) out.push(`${n}: not a base unit (use _seconds, _bytes)`);
    if (/_(counter|gauge|histogram|summary)(_|$)/.test(n)) out.push(`${n}: metric type in the name`);
    if (/(latency|duration)/.test(n) && !/_seconds(_total)?$/.test(n)) out.push(`${n}: a time without _seconds`);
    for (const s of f.samples) {
      for (const l of Object.keys(s.labels)) {
        if (!/^[a-z_][a-z0-9_]*$/.test(l) || l.startsWith('__')) out.push(`${n}: label ${l} not snake_case`);
        if ((l === 'le' && f.type !== 'histogram') || (l === 'quantile' && f.type !== 'summary')) out.push(`${n}: reserved label ${l}`);
      }
      if (f.type === 'counter' && s.value < 0) out.push(`${n}: negative counter`);
      if (!Number.isFinite(s.value) && !Number.isNaN(s.value) && s.name.endsWith('_bucket') === false) out.push(`${n}: value ${s.value}`);
    }
  }
  return out;
}

let text: string;
let families: Map<string, Family>;
beforeAll(async () => {
  text = await scrapeMetrics();
  const p = parseExposition(text);
  expect(p.errors).toEqual([]);
  families = p.families;
}, 120_000);

const series = (name: string) => families.get(name)?.samples ?? [];

describe('/metrics of a real node', () => {
  it('follows the Prometheus naming and type conventions (what promtool checks), with no findings', () => {
    expect(conventionFindings(families)).toEqual([]);
  });

  it('the checker itself catches each kind of mistake (today\'s were: a gauge named _total, prefixed standard metrics)', () => {
    const bad = parseExposition(
      [
        '# HELP edgechain_rejected_messages_total x',
        '# TYPE edgechain_rejected_messages_total gauge',
        'edgechain_rejected_messages_total{source="p2p"} 1',
        '# HELP edgechain_process_process_cpu_seconds_total x',
        '# TYPE edgechain_process_process_cpu_seconds_total counter',
        'edgechain_process_process_cpu_seconds_total 1',
        '# HELP edgechain_commit_latency_ms x',
        '# TYPE edgechain_commit_latency_ms gauge',
        'edgechain_commit_latency_ms 1',
        '# TYPE edgechain_blocks counter',
        'edgechain_blocks{blockHeight="1"} 1',
      ].join('\n'),
    ).families;
    const f = conventionFindings(bad).join('\n');
    for (const re of [/rejected_messages_total: non-counter with _total/, /edgechain_process_process_cpu_seconds_total: a standard metric under our prefix/, /latency_ms: not a base unit/, /latency_ms: a time without _seconds/, /edgechain_blocks: no help/, /edgechain_blocks: counter without _total/, /label blockHeight not snake_case/]) expect(f).toMatch(re);
  });

  it('standard process and Node.js metrics keep their usual names', () => {
    for (const n of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) expect(families.has(n), n).toBe(true);
  });

  it('has build info, the last block time, peers, readiness and libp2p metrics', () => {
    const b = series('edgechain_build_info');
    expect(b).toHaveLength(1);
    expect(b[0].value).toBe(1);
    expect(b[0].labels).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), nodejs: process.versions.node, chain_id: 'edgechain-testnet', genesis_hash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    const ts = series('edgechain_block_timestamp_seconds')[0].value;
    expect(ts).toBeGreaterThan(1.7e9); // Unix seconds, not ms
    expect(ts).toBeLessThan(1e10);
    expect(series('edgechain_block_finalized_timestamp_seconds')[0].value).toBeGreaterThan(1.7e9);
    expect(series('edgechain_block_height')[0].value).toBeGreaterThanOrEqual(1);
    expect(families.get('edgechain_peers')?.type).toBe('gauge');
    expect(families.get('edgechain_ready')?.type).toBe('gauge');
    expect(families.get('edgechain_rejected_messages_total')?.type).toBe('counter');
    expect(series('edgechain_p2p_connections').map((s) => s.labels.direction).sort()).toEqual(['inbound', 'outbound']);
    for (const n of ['edgechain_p2p_gossip_published_total', 'edgechain_p2p_dials_total', 'edgechain_p2p_peer_connects_total', 'edgechain_p2p_streams']) expect(families.has(n), n).toBe(true);
  });

  it('client input never becomes a label value: the unknown method is counted as "unknown"', () => {
    const methods = series('edgechain_rpc_calls_total').map((s) => s.labels.method);
    expect(methods).toContain('unknown');
    expect(methods).not.toContain('no_such_method');
  });

  it('the sample Grafana dashboard in docs/ queries only metrics the node exports', () => {
    const dash = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8'));
    const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const names = new Set(exprs.flatMap((e) => e.match(/\b(edgechain|process|nodejs)_[a-z0-9_]+/g) ?? []));
    const known = new Set([...families.keys()].flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
    for (const n of names) expect(known.has(n), `${n} in docs/grafana-dashboard.json`).toBe(true);
    expect(names.has('edgechain_block_timestamp_seconds')).toBe(true);
  });
});
