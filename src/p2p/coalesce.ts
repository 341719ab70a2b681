import type { Socket } from 'node:net';

/**
 * Write coalescing for libp2p's TCP transport.
 *
 * @libp2p/tcp writes every chunk it is handed (each Noise-encrypted yamux frame, often in
 * several buffers) with its own `socket.write`, i.e. its own `write(2)` on the socket. On a
 * loaded sealer that is hundreds of thousands of small syscalls per second, and the kernel's
 * loopback path runs inside each of them: `writeBuffer` was the largest single entry of a
 * sealer's CPU profile (15 % at 100 tx/s, docs/PERFORMANCE.md). Corking the socket on the
 * first write of an event-loop turn and uncorking it on the next tick hands everything that
 * turn wrote to the kernel in one `writev(2)`. Bytes and their order are unchanged; only the
 * syscall boundaries move, and by at most the rest of the current turn.
 *
 * The transport is wrapped, not patched: its `dial` and `createListener` get an upgrader
 * that corks each new connection's socket before the connection is upgraded.
 */

interface SocketConn {
  socket?: Socket;
  sendData?: (data: Iterable<Uint8Array>) => unknown;
}

/** Makes `maConn` coalesce its socket writes per event-loop turn (no-op if it has no net.Socket). */
export function coalesceWrites(maConn: unknown): void {
  const c = maConn as SocketConn;
  const socket = c.socket;
  const send = c.sendData;
  if (!socket || typeof socket.cork !== 'function' || typeof send !== 'function') return;
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  c.sendData = function (this: unknown, data: Iterable<Uint8Array>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return send.call(this ?? c, data);
  };
}

type Upgrader = Record<string | symbol, unknown>;

function wrapUpgrader(upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if ((prop === 'upgradeInbound' || prop === 'upgradeOutbound') && typeof v === 'function') {
        return (maConn: unknown, opts: unknown) => {
          coalesceWrites(maConn);
          return (v as (a: unknown, b: unknown) => unknown).call(target, maConn, opts);
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Wraps a libp2p transport factory (e.g. `tcp()`) so every connection it makes coalesces writes. */
export function withCoalescedWrites<C, T extends object>(factory: (components: C) => T): (components: C) => T {
  return (components: C) => {
    const transport = factory(components);
    return new Proxy(transport, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'dial' && typeof v === 'function') {
          return (ma: unknown, opts: { upgrader: Upgrader }) => (v as (a: unknown, b: unknown) => unknown).call(target, ma, { ...opts, upgrader: wrapUpgrader(opts.upgrader) });
        }
        if (prop === 'createListener' && typeof v === 'function') {
          return (opts: { upgrader: Upgrader }) => (v as (a: unknown) => unknown).call(target, { ...opts, upgrader: wrapUpgrader(opts.upgrader) });
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
}
