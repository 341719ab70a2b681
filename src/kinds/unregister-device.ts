import { defineKind } from './kind.ts';

/** UnregisterDevice: a device leaves; its identity info is freed and its registration deposit returned (docs/GOVERNANCE.md). */
export default defineKind({
  kind: 'unregisterDevice',
  command: 'unregister-device',
  flags: '',
  check: () => null,
  apply: ({ sender, state }) => {
    const r = state.devices.unregister(sender, state.leases.activeOfDevice(sender));
    if (r.refund) state.accounts.credit(sender, r.refund);
    return { status: r.status, reason: r.reason };
  },
  json: () => ({}),
  fromFlags: () => ({}),
});
