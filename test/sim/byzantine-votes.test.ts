import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: Byzantine sealers (twins, equivocating leader, bad votes, forged signatures, non-sealers)', () => {
  scenarioSuite(['byz-twins', 'byz-equivocate', 'byz-bad-votes', 'byz-forged', 'byz-non-sealer']);
});
