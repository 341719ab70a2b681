import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: Byzantine sealers (wrong blocks, future views, silence, garbage) and everything mixed', () => {
  scenarioSuite(['byz-wrong-block', 'byz-future', 'byz-silent', 'byz-garbage', 'mixed']);
});
