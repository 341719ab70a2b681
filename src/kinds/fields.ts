import type { AddNode } from '../codec/types.ts';
import { utf8 } from '../util/bytes.ts';
import type { FlagReader } from './kind.ts';

/** Field bounds every transaction must meet before it reaches the state machine. */
export const TX_BOUNDS = {
  deviceInfoMaxBytes: 256,
  nodeIdMaxBytes: 64,
  serviceTypesMax: 16,
  serviceTypeMaxBytes: 32,
  capacityMax: 1_000_000,
  latMax: 90_000_000,
  lonMax: 180_000_000,
  /** Longest lease term, renewal or channel lifetime a tx may name (10 years of seconds); the chain parameters may allow less. */
  secondsMax: 315_360_000,
} as const;

// Checks and JSON forms shared by several kinds (node specs, locations, ids).

const PRINTABLE = /^[\x21-\x7e]+$/;
export const byteLen = (s: string): number => utf8(s).length;

export function checkLocation(lat: number, lon: number): string | null {
  if (!Number.isInteger(lat) || Math.abs(lat) > TX_BOUNDS.latMax) return `lat ${lat} out of range (±${TX_BOUNDS.latMax} micro-degrees)`;
  if (!Number.isInteger(lon) || Math.abs(lon) > TX_BOUNDS.lonMax) return `lon ${lon} out of range (±${TX_BOUNDS.lonMax} micro-degrees)`;
  return null;
}

export function checkNodeId(id: string): string | null {
  if (!id || byteLen(id) > TX_BOUNDS.nodeIdMaxBytes || !PRINTABLE.test(id)) return `node id must be 1..${TX_BOUNDS.nodeIdMaxBytes} printable ASCII characters without spaces`;
  return null;
}

export function checkServiceType(t: string): string | null {
  if (!t || byteLen(t) > TX_BOUNDS.serviceTypeMaxBytes || !PRINTABLE.test(t)) return `service type must be 1..${TX_BOUNDS.serviceTypeMaxBytes} printable ASCII characters`;
  return null;
}

/** Bounds of an AddNode / UpdateNode node spec. */
export function checkNodeSpec(n: AddNode): string | null {
  const idBad = checkNodeId(n.id);
  if (idBad) return idBad;
  const locBad = checkLocation(n.lat, n.lon);
  if (locBad) return locBad;
  if (n.capacity < 1 || n.capacity > TX_BOUNDS.capacityMax) return `capacity must be 1..${TX_BOUNDS.capacityMax}`;
  if (n.serviceTypes.length < 1 || n.serviceTypes.length > TX_BOUNDS.serviceTypesMax) return `1..${TX_BOUNDS.serviceTypesMax} service types required`;
  for (const t of n.serviceTypes) {
    const bad = checkServiceType(t);
    if (bad) return bad;
  }
  if (new Set(n.serviceTypes).size !== n.serviceTypes.length) return 'service types must be distinct';
  return null;
}

/** Micro-degrees as degrees (JSON). */
export const deg = (e6: number): number => e6 / 1e6;

export function nodeSpecJson(n: AddNode): Record<string, unknown> {
  return { id: n.id, lat: deg(n.lat), lon: deg(n.lon), latE6: n.lat, lonE6: n.lon, capacity: n.capacity, serviceTypes: [...n.serviceTypes], price: n.price };
}

export const NODE_SPEC_FLAGS = '--id <id> --lat <deg> --lon <deg> --capacity <n> --types <a,b> --price <n>';

export function nodeSpecFromFlags(f: FlagReader): AddNode {
  return {
    id: f.str('id'),
    lat: f.degrees('lat', 90),
    lon: f.degrees('lon', 180),
    capacity: f.int('capacity', undefined, 1, 1_000_000),
    serviceTypes: f.list('types'),
    price: f.int('price'),
  };
}
