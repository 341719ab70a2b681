/** Human-readable output of the CLI (the --json output is the RPC result as is). */

// C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the bidi
// overrides/isolates that reorder what a terminal shows.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a terminal: every control character that could move the cursor, clear the screen,
 * set the window title or reorder text is replaced by its visible \uXXXX escape. Strings on
 * chain (device info, node ids, names) are any UTF-8 an account signed, so everything the CLI
 * prints goes through this. Inside JSON the escape is the same character, so --json output
 * stays valid JSON that parses back to the on-chain value.
 */
export function safeForTerminal(s: string): string {
  return s.replace(UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function kv(o: Record<string, unknown>, indent = ''): string {
  const keys = Object.keys(o);
  const w = Math.max(...keys.map((k) => k.length), 4);
  return keys
    .map((k) => {
      const v = o[k];
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return `${indent}${k}:\n${kv(v as Record<string, unknown>, indent + '  ')}`;
      return `${indent}${k.padEnd(w)}  ${Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : String(v)}`;
    })
    .join('\n');
}

export function receipt(r: Record<string, any>): string {
  const lines = [
    `tx        ${r.transactionHash}`,
    `block     ${r.blockNumber} (index ${r.index})`,
    `kind      ${r.kind}`,
    `status    ${r.status === 0 ? 'ok' : `FAILED (${r.statusText}): ${r.reason}`}`,
  ];
  if (r.match) {
    lines.push(`edge node ${r.match.nodeId}`, `distance  ${r.match.distanceM} m`, `price     ${r.match.price} per slot × ${r.match.demand}`, `lease     ${r.match.leaseId}`);
    if (r.match.endsAt) lines.push(`cost      ${r.match.cost} (locked)`, `ends      ${new Date(r.match.endsAt).toISOString()}`);
  }
  if (r.lease) lines.push(`lease     ${r.lease.leaseId}: cost ${r.lease.cost}, paid ${r.lease.paid}, refund ${r.lease.refund}, ends ${new Date(r.lease.endsAt).toISOString()}`);
  if (r.channel) lines.push(`channel   ${r.channel.channelId}: deposit ${r.channel.deposit}, claimed ${r.channel.claimed}, paid now ${r.channel.paid}, refunded ${r.channel.refunded}`);
  if (r.proposal) {
    const p = r.proposal;
    lines.push(`proposal  ${p.proposalId}: ${p.status}, ${p.approvals} of ${p.needed} approvals needed${p.effectiveAt ? `, in effect from height ${p.effectiveAt}` : ''}`);
  }
  return lines.join('\n');
}

export function block(b: Record<string, any>): string {
  const lines = [
    `block ${b.number}  ${b.hash}`,
    `parent    ${b.parentHash}`,
    `time      ${new Date(b.timestamp).toISOString()}`,
    `proposer  ${b.proposerName ?? ''} ${b.proposer}  (view ${b.view})`,
    `txs       ${b.txCount}`,
    `stateRoot ${b.stateRoot}`,
    `signers   ${(b.signers ?? []).map((s: any) => s.name ?? s.index).join(', ')}`,
  ];
  for (const t of b.transactions ?? []) lines.push(typeof t === 'string' ? `  ${t}` : `  ${t.hash}  ${t.kind}  from ${t.from}`);
  return lines.join('\n');
}

export function status(s: Record<string, any>): string {
  return [
    `height    ${s.height}`,
    `view      ${s.view}`,
    `leader    ${s.leader ?? ''}`,
    `role      ${s.role ?? ''}`,
    `sealers   ${(s.sealers ?? []).map((x: any) => x.name).join(', ')}`,
    `peers     ${(s.peers ?? []).filter((p: any) => p.connected).length} connected`,
    `pending   ${s.pendingTxs} txs`,
    `total     ${s.totals?.txSum} txs (${s.totals?.failedTxSum} failed)`,
  ].join('\n');
}

export function nodes(r: { total: number; nodes: Record<string, any>[] }): string {
  const rows = r.nodes.map((n) =>
    [n.id, n.ownerName ?? n.owner, `${n.lat.toFixed(6)},${n.lon.toFixed(6)}`, `${n.used}/${n.capacity}`, n.serviceTypes.join(','), n.price, n.online ? 'online' : 'offline'].join('  '),
  );
  return [`${r.total} edge nodes`, 'id  owner  location  used/capacity  types  price  online', ...rows].join('\n');
}

export function testnet(l: { dir: string; nodes: { name: string; role: string; rpcUrl: string; configPath: string }[]; accounts: { name: string; address: string; keyPath: string }[] }): string {
  return [
    `testnet written to ${l.dir}`,
    ...l.nodes.map((n) => `  ${n.role.padEnd(8)} ${n.name.padEnd(12)} ${n.rpcUrl}  ${n.configPath}`),
    'accounts:',
    ...l.accounts.map((a) => `  ${a.name.padEnd(12)} ${a.address}  ${a.keyPath}`),
  ].join('\n');
}
