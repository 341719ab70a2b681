import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: Byzantine leaders overriding locks (fresh blocks, crafted certificates, split votes) and Byzantine sync servers', () => {
  scenarioSuite(['byz-lock', 'byz-split', 'byz-sync']);
});
