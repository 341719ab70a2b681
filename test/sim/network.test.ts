import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: normal operation and lossy network', () => {
  scenarioSuite(['normal', 'lossy']);
});
