import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: normal operation, lossy network, early timers with a block period', () => {
  scenarioSuite(['normal', 'lossy', 'timer-jitter', 'block-period']);
});
