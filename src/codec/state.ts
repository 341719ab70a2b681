import { messageCodec } from './codec.ts';

/** TS shapes of proto/state.proto (the values of the native state's records). */
export interface StateAccount { nonce: number; balance: number; role: number }
export interface StateDevice { info: string; registeredAt: number }
export interface StateDeviceInfo { device: Uint8Array }
export interface StateEdgeNode {
  id: string;
  owner: Uint8Array;
  lat: number;
  lon: number;
  capacity: number;
  used: number;
  serviceTypes: string[];
  price: number;
  online: boolean;
  activeLeases: number;
  addedAt: number;
  updatedAt: number;
}
export interface StateLease {
  id: number;
  device: Uint8Array;
  nodeId: string;
  demand: number;
  price: number;
  distanceM: number;
  status: number;
  createdAt: number;
  endedAt: number;
}
export interface StateCounter { value: number }

const addr = (b: Uint8Array, what: string) => (b.length === 20 ? null : `${what} must be a 20-byte address`);

export const StateAccountCodec = messageCodec<StateAccount>('StateAccount', { maxBytes: 64, check: (v) => (v.role <= 2 ? null : 'unknown role') });
export const StateDeviceCodec = messageCodec<StateDevice>('StateDevice', { maxBytes: 512 });
export const StateDeviceInfoCodec = messageCodec<StateDeviceInfo>('StateDeviceInfo', { maxBytes: 64, check: (v) => addr(v.device, 'device') });
export const StateEdgeNodeCodec = messageCodec<StateEdgeNode>('StateEdgeNode', { maxBytes: 1024, check: (v) => addr(v.owner, 'owner') });
export const StateLeaseCodec = messageCodec<StateLease>('StateLease', {
  maxBytes: 256,
  check: (v) => addr(v.device, 'device') ?? (v.status >= 1 && v.status <= 3 ? null : 'unknown lease status'),
});
export const StateCounterCodec = messageCodec<StateCounter>('StateCounter', { maxBytes: 16 });
