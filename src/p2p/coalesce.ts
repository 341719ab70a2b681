import type { Socket } from 'node:net';
import { interceptMethods, type Method } from './intercept.ts';

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
type UpgradeOptions = { upgrader: Upgrader };

/** An upgrade that corks the connection's socket before handing it on. */
const corked = (upgrade: Method): Method => (maConn, opts) => {
  coalesceWrites(maConn);
  return upgrade(maConn, opts);
};

const wrapUpgrader = (upgrader: Upgrader): Upgrader => interceptMethods(upgrader, { upgradeInbound: corked, upgradeOutbound: corked });

const withWrappedUpgrader = (o: unknown): UpgradeOptions => ({ ...(o as UpgradeOptions), upgrader: wrapUpgrader((o as UpgradeOptions).upgrader) });

/** Wraps a libp2p transport factory (e.g. `tcp()`) so every connection it makes coalesces writes. */
export function withCoalescedWrites<C, T extends object>(factory: (components: C) => T): (components: C) => T {
  return (components: C) =>
    interceptMethods(factory(components), {
      dial: (dial) => (ma, opts) => dial(ma, withWrappedUpgrader(opts)),
      createListener: (createListener) => (opts) => createListener(withWrappedUpgrader(opts)),
    });
}
