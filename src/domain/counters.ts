import { StateCounterCodec, type StateCounter } from '../codec/state.ts';
import { Counter, KeyPrefix, counterKey } from './keys.ts';
import { Table } from './table.ts';

const KNOWN = new Set<number>(Object.values(Counter));

/** Chain-wide counters (prefix 0x06 || counter id): a counter is written whenever it is set. */
export class Counters {
  readonly table = new Table<number, number, StateCounter>({
    name: 'counter',
    prefix: KeyPrefix.COUNTER,
    key: (id) => counterKey(id),
    rowKey: (key) => (key.length === 2 && KNOWN.has(key[1]) ? key[1] : null),
    codec: StateCounterCodec,
    toProto: (value) => ({ value }),
    fromProto: (m) => m.value,
  });

  get(id: number): number {
    return this.table.get(id) ?? 0;
  }

  set(id: number, value: number): void {
    this.table.set(id, value);
  }

  /** The value before the open execution. */
  committed(id: number): number {
    return this.table.committed(id) ?? 0;
  }
}
