import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: crash and restart (up to f, all at once, at every WAL write point)', () => {
  scenarioSuite(['crash-restart', 'crash-all', 'wal-crash']);
});
