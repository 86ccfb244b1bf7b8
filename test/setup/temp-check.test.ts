/** The temp-folder check of the global setup / teardown, on a folder of its own. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRunTemp, leftovers, TOOL_CACHES } from './temp-check';
import { tempDir } from '../support/temp';

describe('the temp-folder check', () => {
  test('a clean run leaves nothing; the linked tool caches do not count, and what is in them stays', () => {
    const parent = tempDir('temp-check-');
    const dir = createRunTemp(parent);
    for (const cache of TOOL_CACHES) {
      expect(fs.readlinkSync(path.join(dir, cache))).toBe(path.join(parent, cache));
      fs.writeFileSync(path.join(dir, cache, 'entry'), 'cached');
    }
    expect(leftovers(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true });
    for (const cache of TOOL_CACHES) expect(fs.readFileSync(path.join(parent, cache, 'entry'), 'utf8')).toBe('cached');
  });

  test('reports every file and folder a run left, folders with their entry count', () => {
    const dir = createRunTemp(tempDir('temp-check-'));
    fs.mkdirSync(path.join(dir, 'cdk.outAbC123'));
    fs.writeFileSync(path.join(dir, 'cdk.outAbC123', 'manifest.json'), '{}');
    fs.writeFileSync(path.join(dir, 'stray.txt'), '');
    expect(leftovers(dir)).toEqual(['cdk.outAbC123/ (1 entries)', 'stray.txt']);
  });
});
