/**
 * The edgechain SDK (docs/SDK.md): a typed JSON-RPC client, keys, tx builders for every kind,
 * sending with nonce management and NODE_BUSY back-off, receipt waits, server-sent events,
 * payment-channel vouchers, and
 * the match verifier (docs/VERIFY.md).
 */
export { RPC_API, RPC_METHOD_NAMES, type RpcApi, type RpcMethod, type RpcParams, type RpcResult } from './api.ts';
export { Client, RpcCallError, RpcTransportError, type ClientOptions, type BatchAnswer, type BlockFollower, type FollowedBlock } from './client.ts';
export { Account, ReceiptWatcher, ReceiptTimeoutError, busyRetryAfterNode, busyFixedDelay, isBusy, type AccountOptions, type BusyPolicy, type Receipt, type SendOptions, type SentTx } from './account.ts';
export { tx, microDegrees } from './builders.ts';
export { generateKeyPair, keyPairFromSecret, type KeyPair } from '../crypto/keys.ts';
export { verifyMatch, anchorFromGenesis, type MatchVerdict, type VerifyAnchor, type RpcCall } from '../verify/match.ts';
export { parseGenesis } from '../chain/genesis.ts';
export { fromHex, toHex } from '../util/bytes.ts';
export { ChannelPayer, ChannelPayee, signVoucher, verifyVoucher, voucherToHex, voucherFromHex, type Voucher, type VoucherCheck, type VoucherAccepted } from './vouchers.ts';
