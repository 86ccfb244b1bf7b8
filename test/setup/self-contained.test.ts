/**
 * The repository is self-contained: no test or support file reads anything outside the clone
 * (fixtures belong in test/fixtures/, see its README).
 */
import { findOutsideReferences, scanTests, testSources } from '../support/self-contained';

describe('tests read nothing outside the repository', () => {
  test('the scan sees the test sources (this file among them)', () => {
    const files = testSources();
    expect(files).toContain('test/setup/self-contained.test.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  test('no test or support file references a path outside the repository', () => {
    const found = scanTests().map((r) => `${r.file}:${r.line}: ${r.reason}: ${r.text}`);
    expect(found).toEqual([]);
  });
});

describe('findOutsideReferences', () => {
  // Built from pieces, so that the scan of this very file stays clean.
  const UP = '..';
  const shared = ['sha', 'red'].join('');

  test.each([
    [`path.resolve(__dirname, '${UP}', '${UP}', '${UP}', '${shared}')`, '__dirname climbs 3 levels'],
    [`path.join(__dirname, '${UP}/${UP}/${UP}/x.json')`, '__dirname climbs 3 levels'],
    ['readFileSync(`${__dirname}/' + `${UP}/${UP}/${UP}/x.json` + '`)', '__dirname climbs 3 levels'],
    [`const dir = '${UP}/${shared}/fixtures';`, `the ${shared}/ folder beside the clone`],
    ['readFileSync(\'/wo' + `rk/${shared}/fixtures/telemetry/a.json')`, 'an absolute path on some machine'],
    [`process.env.TELEMETRY_${shared.toUpperCase()}_DIR`, 'a folder outside the clone chosen by environment'],
    ['path.join(os.home' + 'dir(), ".aws")', 'the home directory'],
    ["fs.writeFileSync('/t" + "mp/out.json', '')", 'a fixed path in the temp folder'],
  ])('reports %s', (line, reason) => {
    const found = findOutsideReferences('test/sinks/events.ts', `const a = 1;\n${line}\n`);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((r) => r.file === 'test/sinks/events.ts' && r.line === 2)).toBe(true);
    expect(found.map((r) => r.reason)).toContainEqual(expect.stringContaining(reason));
  });

  test.each([
    "path.join(__dirname, '..', '..', 'lib', 'layer')",
    "path.resolve(__dirname, '../../node_modules/.bin/tsx')",
    'readFileSync(`${__dirname}/../fixtures/telemetry/13-logs-dropped.json`)',
    "path.join(__dirname, 'fixtures')",
    "fs.mkdtempSync(path.join(os.tmpdir(), 'x-'))",
  ])('accepts %s (inside the repository)', (line) => {
    expect(findOutsideReferences('test/sinks/events.ts', line)).toEqual([]);
  });

  test('a deeper folder may climb further', () => {
    const line = `path.resolve(__dirname, '${UP}', '${UP}', '${UP}', 'lib', 'layer')`;
    expect(findOutsideReferences('test/reliability/support/bundle-emulator.ts', line)).toEqual([]);
    expect(findOutsideReferences('test/reliability/soak.ts', line)).toHaveLength(1);
  });
});
