/**
 * What the load generator's company slot sends (one tx in 20 is a company's): a new edge node,
 * or — with a bound — the removal of that company's oldest generated node once it holds `keep`
 * of them, so the number of edge nodes in the state stays level. The soak uses the bound: its
 * memory figures are meant to show what a node keeps beyond its state, and a workload that adds
 * 15 edge nodes a second for 30 minutes grows the state itself (docs/PERFORMANCE.md "Memory:
 * round 9"). Throughput runs add only, as before. A company's txs are nonce-ordered, so a
 * removal is always applied after the addition it names.
 */
export class EdgeChurn {
  private readonly keep: number | null;
  private readonly live: string[][];

  constructor(companies: number, keep: number | null) {
    this.keep = keep;
    this.live = Array.from({ length: companies }, () => []);
  }

  /** The next action of `company`; `id` names the node to add when it is an addition. */
  next(company: number, id: string): { kind: 'addNode'; id: string } | { kind: 'removeNode'; id: string } {
    const mine = this.live[company];
    if (this.keep !== null && mine.length >= this.keep) return { kind: 'removeNode', id: mine.shift()! };
    mine.push(id);
    return { kind: 'addNode', id };
  }

  /** Generated nodes each company holds now (after every action handed out so far). */
  held(company: number): number {
    return this.live[company].length;
  }
}
