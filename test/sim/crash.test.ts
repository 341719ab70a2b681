import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: crash and restart (up to f, all at once, at every WAL write point, with a wiped data dir)', () => {
  scenarioSuite(['crash-restart', 'crash-all', 'wal-crash', 'wipe-restart']);
});
