import { ReceiptStatus, fail } from '../domain/receipts.ts';
import { TX_BOUNDS, checkLocation, checkServiceType, deg } from './fields.ts';
import { defineKind } from './kind.ts';

/** EdgeMatch: a registered device asks for the best edge node for a term, paying price × demand × seconds up front; every sealer re-executes the match. */
export default defineKind({
  kind: 'edgeMatch',
  command: 'edge-match',
  flags: '--lat <deg> --lon <deg> --type <t> --demand <n> --duration <seconds> [--max-price <n>]',
  check: (m) => {
    const locBad = checkLocation(m.lat, m.lon);
    if (locBad) return locBad;
    const tBad = checkServiceType(m.taskType);
    if (tBad) return 'task type: ' + tBad;
    if (m.demand < 1 || m.demand > TX_BOUNDS.capacityMax) return `demand must be 1..${TX_BOUNDS.capacityMax}`;
    // 0 is well-formed: a chain below params.paymentsFromHeight has no terms; above, the state refuses it (BAD_DURATION)
    if (m.durationS > TX_BOUNDS.secondsMax) return `duration must be at most ${TX_BOUNDS.secondsMax} s`;
    return null;
  },
  apply: ({ env, sender, state }, q) => {
    if (!state.devices.isDevice(sender)) return fail(ReceiptStatus.NOT_DEVICE, 'only a registered device may request a match');
    return state.leases.match(env, sender, q);
  },
  json: (m) => ({ lat: deg(m.lat), lon: deg(m.lon), latE6: m.lat, lonE6: m.lon, taskType: m.taskType, demand: m.demand, maxPrice: m.maxPrice, durationS: m.durationS }),
  fromFlags: (f) => ({
    lat: f.degrees('lat', 90),
    lon: f.degrees('lon', 180),
    taskType: f.str('type'),
    demand: f.int('demand', undefined, 1, 1_000_000),
    maxPrice: f.int('max-price', 0),
    durationS: f.int('duration', undefined, 1, TX_BOUNDS.secondsMax),
  }),
});
