/**
 * The bundled-Node layer, from cdk.out, with no `node` on the PATH (as in a Python, Java or
 * provided.al2023 function): the layer's own Node.js binary runs the extension.
 */
import * as fs from 'fs';
import * as path from 'path';
import { attr, ExampleRun, runExample } from './harness';
import { NodeJsSource } from '../../lib';
import { ensureNodeBinaries } from '../support/node-binaries';

describe('NodeJsSource.bundled() with no node on the PATH', () => {
  let run: ExampleRun;
  let emptyPath: string | undefined;
  afterAll(async () => {
    await run?.close();
    if (emptyPath) fs.rmSync(emptyPath, { recursive: true, force: true });
  });

  test("the layer's x64 binary runs the extension, and telemetry flows", async () => {
    const appDir = ensureNodeBinaries();
    emptyPath = fs.mkdtempSync(path.join(appDir, '..', 'empty-path-'));
    run = await runExample({
      appDir,
      stack: () => ({ nodeJs: NodeJsSource.bundled() }),
      emulator: { path: emptyPath },
    });
    const layerDir = run.fn.layers[0].assetDir!;
    expect(fs.existsSync(path.join(layerDir, 'telemetry-extension', 'bin', 'node'))).toBe(true);

    // The extension process is the layer's node (the launcher exec'd it).
    const extension = run.emulator.processes().find((p) => p.name === 'telemetry-extension')!;
    expect(fs.readlinkSync(`/proc/${extension.pid}/exe`)).toBe(path.join(fs.realpathSync(layerDir), 'telemetry-extension', 'bin', 'node'));
    const environ = fs.readFileSync(`/proc/${extension.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`PATH=${emptyPath}`);

    const result = await run.emulator.invoke({ action: 'ok' });
    await run.emulator.shutdown();
    const spans = await run.receiver.waitForSpans(1);
    expect(spans.some((s) => attr(s, 'faas.invocation_id') === result.requestId)).toBe(true);
    expect(run.emulator.shutdowns[0].extensions.find((e) => e.name === 'telemetry-extension')!.exitCode).toBe(0);
  }, 600_000);
});
