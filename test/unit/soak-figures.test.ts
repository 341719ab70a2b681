import { describe, expect, it } from 'vitest';
import { soakFigures } from '../../bench/e2e.bench.ts';

describe('soak figures (bench/e2e.bench.ts)', () => {
  it('fits the growth after minute 5 and over the second half; a growth that levels off shows lower in the second half', () => {
    // two sealers, a sample every 10 s for 30 minutes: sealer 0 grows 4 MB/min until minute 15 then stays; sealer 1 grows 1 MB/min throughout
    const series: { t: number; mb: number[] }[] = [];
    for (let t = 0; t <= 1800; t += 10) series.push({ t, mb: [200 + (Math.min(t, 900) / 60) * 4, 150 + t / 60] });
    const out: Record<string, number> = {};
    soakFigures(series, 1800, out);
    expect(out['soak.rss_growth_fit_from_s']).toBe(300);
    // the worst sealer over minutes 5–30 is sealer 0 (its levelling-off fits to ~1.4 MB/min, sealer 1 to 1.0)
    expect(out['soak.rss_growth_mb_per_min']).toBeGreaterThan(1.2);
    expect(out['soak.rss_growth_mb_per_min']).toBeLessThan(1.6);
    // in the second half only sealer 1 still grows: 1 MB/min
    expect(out['soak.rss_growth_second_half_mb_per_min']).toBe(1);
    expect(out['soak.rss_mb_last_minute']).toBe(260);
    expect(out['soak.rss_mb_first_minute']).toBe(202);
  });
});
