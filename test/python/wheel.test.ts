/**
 * The Python distribution: built offline by `projen package:python` (jsii-pacmak --code-only,
 * then `python -m build`). Checks the wheel's metadata and that the generated module defines
 * every public type of lib/ (read from the jsii assembly). Python has no jsii runtime or
 * aws-cdk-lib here (PyPI is not reachable), so the module is parsed, not imported.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureCompiled } from '../support/compiled';

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist', 'python');
const ASSEMBLY = path.join(ROOT, '.jsii');

function newest(suffix: string): string | undefined {
  if (!fs.existsSync(DIST)) return undefined;
  const files = fs.readdirSync(DIST).filter((f) => f.endsWith(suffix));
  return files.length > 0 ? path.join(DIST, files[0]) : undefined;
}

function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
}

describe('Python wheel', () => {
  let wheel: string;
  let sdist: string;
  let assembly: { name: string; version: string; types: Record<string, { kind: string; name: string }> };

  beforeAll(() => {
    ensureCompiled();
    const stale = !newest('.whl') || fs.statSync(newest('.whl')!).mtimeMs < fs.statSync(ASSEMBLY).mtimeMs;
    if (stale) {
      execFileSync('npx', ['projen', 'package:python'], { cwd: ROOT, stdio: 'pipe' });
    }
    wheel = newest('.whl')!;
    sdist = newest('.tar.gz')!;
    assembly = JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8'));
  }, 300_000);

  test('wheel and sdist are built into dist/python', () => {
    expect(path.basename(wheel)).toBe(`cdk_telemetry_extension-${assembly.version}-py3-none-any.whl`);
    // setuptools 69.3+ normalizes the sdist name as PEP 625 asks (underscores); older ones keep the hyphens.
    expect(path.basename(sdist)).toMatch(new RegExp(`^cdk[-_]telemetry[-_]extension-${assembly.version.replace(/\./g, '\\.')}\\.tar\\.gz$`));
  });

  test('metadata: name, version and dependencies on jsii, constructs and aws-cdk-lib', () => {
    const metadata = python(
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); ' +
        "print(z.read([n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]).decode())",
      wheel,
    );
    expect(metadata).toMatch(/^Name: cdk-telemetry-extension$/m);
    expect(metadata).toMatch(new RegExp(`^Version: ${assembly.version.replace(/\./g, '\\.')}$`, 'm'));
    const requires = metadata.split('\n').filter((l) => l.startsWith('Requires-Dist: '));
    expect(requires).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Requires-Dist: aws-cdk-lib<3\.0\.0,>=2\.\d+\.\d+$/),
        expect.stringMatching(/^Requires-Dist: constructs<11\.0\.0,>=10\.\d+\.\d+$/),
        expect.stringMatching(/^Requires-Dist: jsii<2\.0\.0,>=1\.\d+\.\d+$/),
      ]),
    );
  });

  test('the module cdk_telemetry_extension defines every public type of lib/', () => {
    const source = python(
      'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("cdk_telemetry_extension/__init__.py").decode())',
      wheel,
    );
    const defined = new Set([...source.matchAll(/^class (\w+)[(:]/gm)].map((m) => m[1]));
    const publicTypes = Object.values(assembly.types).map((t) => t.name);
    expect(publicTypes).toEqual(
      expect.arrayContaining(['TelemetryExtensionLayer', 'TelemetrySink', 'FlushStrategy', 'TelemetryType', 'TelemetryBuffering']),
    );
    for (const name of publicTypes) {
      expect({ name, defined: defined.has(name) }).toEqual({ name, defined: true });
    }
    expect(source).toMatch(/^__all__ = \[/m);
  });

  test('the wheel carries the npm package with the built layer inside', () => {
    const listing = python(
      'import io, sys, tarfile, zipfile; z = zipfile.ZipFile(sys.argv[1]); ' +
        "t = [n for n in z.namelist() if n.endswith('.jsii.tgz')][0]; " +
        "print('\\n'.join(tarfile.open(fileobj=io.BytesIO(z.read(t))).getnames()))",
      wheel,
    );
    expect(listing).toContain('package/lib/layer/extensions/telemetry-extension');
    expect(listing).toContain('package/lib/layer/telemetry-extension/index.cjs');
    expect(listing).not.toMatch(/extension-src\//);
  });

  test('docstring examples are Python, translated by jsii-rosetta, and no raw {@link} is left', () => {
    const source = python(
      'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("cdk_telemetry_extension/__init__.py").decode())',
      wheel,
    );
    const layerClass = source.slice(source.indexOf('class TelemetryExtensionLayer('));
    const docstring = layerClass.slice(0, layerClass.indexOf('def __init__'));
    expect(docstring).toContain('telemetry = TelemetryExtensionLayer(self, "Telemetry",');
    expect(docstring).toContain('sink=TelemetrySink.otlp(endpoint="https://otel.example.com"),');
    expect(docstring).toContain('telemetry.attach_to(my_function)');
    expect(docstring).not.toMatch(/\bconst |new TelemetryExtensionLayer|attachTo\(/);
    expect(source).toContain('Aspects.of(stack).add(TelemetryAttachAspect(telemetry), priority=AspectPriority.MUTATING)');
    expect(source).not.toContain('{@link');
  });

  test("the README's Python example is valid Python and says what rosetta makes of the TypeScript one", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /## Use it[\s\S]*?```python\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    // Valid Python syntax.
    python('import sys; compile(sys.argv[1], "README", "exec")', block!);
    // Every name and keyword argument it uses is what jsii-rosetta writes for the TypeScript example.
    const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
    const translated = Object.values(tablet.snippets as Record<string, { translations: { python?: { source: string }; $?: { source: string } } }>)
      .map((snippet) => snippet.translations)
      .find((t) => t.$?.source.includes('import * as secretsmanager'))?.python?.source;
    expect(translated).toBeDefined();
    const used = new Set([...block!.matchAll(/\b([A-Za-z_]\w*)(?==|\(|\.)|\.(\w+)/g)].map((m) => m[1] ?? m[2]));
    for (const name of used) {
      expect({ name, inRosettaTranslation: translated!.includes(name) }).toEqual({ name, inRosettaTranslation: true });
    }
  });
});

