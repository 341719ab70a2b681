import { describe } from 'vitest';
import { scenarioSuite } from './suite.ts';

describe('PBFT simulator: compact proposals under tx gossip loss, and Byzantine leaders and fetch servers that abuse them', () => {
  scenarioSuite(['compact-fetch', 'byz-compact']);
});
