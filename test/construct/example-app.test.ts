import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './temp';
import { EXAMPLE_STACK_NAME, synthExample } from '../example/app';

describe('a sample CDK app using the construct', () => {
  test('synthesizes a template whose function has the layer and the config environment, and the layer asset', () => {
    // GIVEN / WHEN
    const outdir = tempDir('cdk-out-');
    const assembly = synthExample(outdir, { otlpEndpoint: 'http://127.0.0.1:4318' });
    // THEN
    const template = JSON.parse(fs.readFileSync(path.join(assembly, `${EXAMPLE_STACK_NAME}.template.json`), 'utf8'));
    const resources = Object.values(template.Resources) as Array<{ Type: string; Properties: any; Metadata?: any }>;
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function')!;
    const layer = resources.find((r) => r.Type === 'AWS::Lambda::LayerVersion')!;
    expect(fn.Properties.Layers).toHaveLength(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TELEMETRY_EXTENSION_CONFIGURED: '1',
      TELEMETRY_EXTENSION_TYPES: 'platform,function',
      TELEMETRY_EXTENSION_SINK: 'otlp',
      TELEMETRY_EXTENSION_SINK_ENDPOINT: 'http://127.0.0.1:4318',
      TELEMETRY_EXTENSION_SERVICE_NAME: 'telemetry-example',
    });
    const layerAsset = path.join(assembly, layer.Metadata['aws:asset:path']);
    expect(() => fs.accessSync(path.join(layerAsset, 'extensions', 'telemetry-extension'), fs.constants.X_OK)).not.toThrow();
    expect(fs.existsSync(path.join(layerAsset, 'telemetry-extension', 'index.cjs'))).toBe(true);
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});
