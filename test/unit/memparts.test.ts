import { describe, it, expect } from 'vitest';
import { classifySmaps, growthPerMinute } from '../../bench/memparts.ts';

// a trimmed /proc/<pid>/smaps of a node process: every class once, plus a PROT_NONE arena tail
const SMAPS = `00400000-04a00000 r-xp 00000000 08:01 1234567                            /work/main/node_modules/node/bin/node
Size:              71680 kB
Rss:               40960 kB
Pss:               40960 kB
VmFlags: rd ex mr mw me dw
06a00000-0d200000 rw-p 00000000 00:00 0                                  [heap]
Size:             106496 kB
Rss:              102400 kB
VmFlags: rd wr mr mw me ac
7f3c00000000-7f3c01e00000 rw-p 00000000 00:00 0 
Size:              30720 kB
Rss:               20480 kB
VmFlags: rd wr mr mw me nr
7f3c01e00000-7f3c04000000 ---p 00000000 00:00 0 
Size:              34816 kB
Rss:                   0 kB
VmFlags: mr mw me nr
7f3c10040000-7f3c24040000 rw-p 00000000 00:00 0 
Size:             327680 kB
Rss:              307200 kB
VmFlags: rd wr mr mw me ac
7f3c30000000-7f3c38000000 rw-p 00000000 00:00 0 
Size:             131072 kB
Rss:               10240 kB
VmFlags: rd wr mr mw me ac
7f3c40000000-7f3c40100000 r--p 00000000 08:01 7654321                    /tmp/db/000012.ldb
Size:               1024 kB
Rss:                1024 kB
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]
Size:                132 kB
Rss:                 100 kB
`;

describe('bench memory parts', () => {
  it('classifies resident memory by mapping', () => {
    expect(classifySmaps(SMAPS)).toEqual({
      mainArena: 100, // [heap]
      threadArenas: 20, // 64-MiB aligned, ≤ 64 MiB, anonymous; its PROT_NONE tail has no RSS
      files: 41, // the binary and a mapped table
      otherAnon: 310.1, // V8 pages, an aligned but 128-MiB mapping (not an arena), the stack
    });
  });

  it('fits growth in MB per minute', () => {
    expect(growthPerMinute([[0, 100], [60, 101], [120, 102]])).toBeCloseTo(1, 9);
    expect(growthPerMinute([[30, 50], [90, 44]])).toBeCloseTo(-6, 9);
    expect(growthPerMinute([[10, 1]])).toBeNaN();
    expect(growthPerMinute([[10, 1], [10, 2]])).toBeNaN();
  });
});
