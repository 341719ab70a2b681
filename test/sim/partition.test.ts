import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: partitions that heal (minority side, no-quorum split, isolated leader, lock test)', () => {
  scenarioSuite(['partition-minority', 'partition-split', 'partition-leader', 'partition-commit']);
});
