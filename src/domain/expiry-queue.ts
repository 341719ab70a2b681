/**
 * The lease expiry queue: a binary min-heap of (end time, lease id), so the state machine
 * finds the leases that end by a block's time without scanning the leases. It is derived
 * state (rebuilt from the lease table on load, kept in step by the table's change hook, also
 * on rollback) and lazy: an entry whose lease has since ended or been renewed is dropped when
 * it reaches the top (the caller checks every popped entry against the table).
 */
export class ExpiryQueue {
  private readonly t: number[] = [];
  private readonly ids: number[] = [];

  get size(): number {
    return this.t.length;
  }

  push(endTime: number, id: number): void {
    const t = this.t;
    const ids = this.ids;
    let i = t.length;
    t.push(endTime);
    ids.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(endTime, id, t[p], ids[p])) break;
      t[i] = t[p];
      ids[i] = ids[p];
      i = p;
    }
    t[i] = endTime;
    ids[i] = id;
  }

  /** The earliest entry's end time, or Infinity when empty. */
  peekTime(): number {
    return this.t.length ? this.t[0] : Infinity;
  }

  /** Removes the earliest entry (ties: the smaller lease id) and returns its lease id. */
  pop(): number {
    const t = this.t;
    const ids = this.ids;
    const top = ids[0];
    const lastT = t.pop()!;
    const lastId = ids.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(t[r], ids[r], t[l], ids[l]) ? r : l;
        if (!less(t[c], ids[c], lastT, lastId)) break;
        t[i] = t[c];
        ids[i] = ids[c];
        i = c;
      }
      t[i] = lastT;
      ids[i] = lastId;
    }
    return top;
  }
}

const less = (ta: number, ia: number, tb: number, ib: number): boolean => ta < tb || (ta === tb && ia < ib);
