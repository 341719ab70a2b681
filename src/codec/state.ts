import { messageCodec } from './codec.ts';

import type { StateAccount, StateDevice, StateDeviceInfo, StateEdgeNode, StateLease, StateCounter, StateChannel, StateEvidence } from './proto-types.ts';

/** Shapes of proto/state.proto (generated, proto-types.ts): the values of the native state's records. */
export type { StateAccount, StateDevice, StateDeviceInfo, StateEdgeNode, StateLease, StateCounter, StateChannel, StateEvidence };

const addr = (b: Uint8Array, what: string) => (b.length === 20 ? null : `${what} must be a 20-byte address`);

export const StateAccountCodec = messageCodec<StateAccount>('StateAccount', { maxBytes: 64, check: (v) => (v.role <= 2 ? null : 'unknown role') });
export const StateDeviceCodec = messageCodec<StateDevice>('StateDevice', { maxBytes: 512 });
export const StateDeviceInfoCodec = messageCodec<StateDeviceInfo>('StateDeviceInfo', { maxBytes: 64, check: (v) => addr(v.device, 'device') });
export const StateEdgeNodeCodec = messageCodec<StateEdgeNode>('StateEdgeNode', { maxBytes: 1024, check: (v) => addr(v.owner, 'owner') });
export const StateLeaseCodec = messageCodec<StateLease>('StateLease', {
  maxBytes: 256,
  check: (v) => addr(v.device, 'device') ?? (v.status >= 1 && v.status <= 4 ? null : 'unknown lease status'),
});
export const StateChannelCodec = messageCodec<StateChannel>('StateChannel', {
  maxBytes: 256,
  check: (v) =>
    addr(v.payer, 'payer') ??
    addr(v.payee, 'payee') ??
    (v.payerKey.length === 32 ? null : 'payer key must be 32 bytes') ??
    (v.status >= 1 && v.status <= 3 ? null : 'unknown channel status') ??
    (v.claimed <= v.deposit ? null : 'claimed exceeds the deposit'),
});
export const StateCounterCodec = messageCodec<StateCounter>('StateCounter', { maxBytes: 16 });
export const StateEvidenceCodec = messageCodec<StateEvidence>('StateEvidence', {
  maxBytes: 2048,
  check: (v) =>
    addr(v.sealer, 'sealer') ??
    addr(v.reporter, 'reporter') ??
    (v.sealerKey.length === 32 ? null : 'sealer key must be 32 bytes') ??
    (v.kind >= 1 && v.kind <= 3 ? null : 'unknown evidence kind'),
});
