/**
 * Real link cuts for the chaos runner: every node runs in its own Linux network namespace,
 * joined to a private bridge (in the runner's namespace) by a veth pair. Cutting a node's
 * links sets the bridge side of its veth down: no packet in or out, for every protocol (p2p
 * and RPC alike), while its TCP sockets stay open as they would behind a failed switch port.
 * Needs root and iproute2. Names carry the runner's pid, the subnet is a 10.x /24 that no
 * route of the host uses, and teardown() (called on every exit path) deletes all of it.
 */
import { execFileSync, execFile } from 'node:child_process';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let probed: boolean | null = null;

/** True when this process may create network namespaces (root, iproute2, and a probe namespace can be made and deleted). */
export function netnsAvailable(): boolean {
  if (probed !== null) return probed;
  probed = false;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = `ec${(process.pid % 100_000).toString(36)}probe`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    probed = true;
  } catch {
    try {
      ip('netns', 'del', probe);
    } catch {
      /* never made */
    }
  }
  return probed;
}

export class NetnsLab {
  readonly tag: string;
  readonly subnet: string;
  readonly bridge: string;
  readonly count: number;
  private created = false;
  private readonly cut = new Set<number>();

  constructor(count: number) {
    if (count > 200) throw new Error('at most 200 nodes');
    this.count = count;
    this.tag = (process.pid % 100_000).toString(36);
    this.bridge = `ecb${this.tag}`;
    const used = ip('-4', 'route', 'show');
    let third = 20 + (process.pid % 200);
    for (let k = 0; k < 236 && used.includes(`10.231.${third}.`); k++) third = 20 + ((third - 19) % 236);
    this.subnet = `10.231.${third}`;
  }

  ns(i: number): string {
    return `ec${this.tag}n${i}`;
  }

  private veth(i: number): string {
    return `ecv${this.tag}n${i}`;
  }

  /** The node's address on the bridge. */
  addr(i: number): string {
    return `${this.subnet}.${10 + i}`;
  }

  /** The runner's own address on the bridge. */
  get hostAddr(): string {
    return `${this.subnet}.1`;
  }

  setup(): void {
    this.created = true;
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.hostAddr}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 0; i < this.count; i++) {
      ip('netns', 'add', this.ns(i));
      ip('link', 'add', this.veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns(i));
      ip('link', 'set', this.veth(i), 'master', this.bridge, 'up');
      ip('-n', this.ns(i), 'addr', 'add', `${this.addr(i)}/24`, 'dev', 'eth0');
      ip('-n', this.ns(i), 'link', 'set', 'eth0', 'up');
      ip('-n', this.ns(i), 'link', 'set', 'lo', 'up');
    }
  }

  /** The command prefix that runs a program inside node i's namespace. */
  prefix(i: number): string[] {
    return ['ip', 'netns', 'exec', this.ns(i)];
  }

  /** One JSON-RPC call to node i's RPC port from inside its namespace (reachable while its links are cut); null on failure. */
  rpcInside(i: number, port: number, method: string): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] });
    const script = `fetch(${JSON.stringify(`http://${this.addr(i)}:${port}/`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} }).then((r) => r.json()).then((j) => console.log(JSON.stringify(j.result ?? null)))`;
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', this.ns(i), process.execPath, '-e', script], { timeout: 10_000 }, (err, stdout) => {
        if (err) return resolve(null);
        try {
          resolve(JSON.parse(stdout));
        } catch {
          resolve(null);
        }
      });
    });
  }

  cutLinks(i: number): void {
    ip('link', 'set', this.veth(i), 'down');
    this.cut.add(i);
  }

  healLinks(i: number): void {
    ip('link', 'set', this.veth(i), 'up');
    this.cut.delete(i);
  }

  isCut(i: number): boolean {
    return this.cut.has(i);
  }

  /** Deletes the namespaces and the bridge (their veths go with them). Never throws. */
  teardown(): void {
    if (!this.created) return;
    this.created = false;
    for (let i = 0; i < this.count; i++) {
      try {
        ip('netns', 'del', this.ns(i));
      } catch {
        /* already gone */
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      /* already gone */
    }
  }
}
