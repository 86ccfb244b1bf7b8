/**
 * The receiver's schema (extension-src/receiver/schema/otlp.json) is exactly what its generator
 * makes from the official opentelemetry-proto package, and has what the receiver relies on.
 */
import * as fs from 'node:fs';
import { generateSchema, SCHEMA_FILE } from '../../extension-src/receiver/schema/generate-schema';

describe('OTLP schema', () => {
  it('otlp.json is up to date (regenerate: npx tsx extension-src/receiver/schema/generate-schema.ts)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(generateSchema());
  });

  it('holds partial_success for every signal and google.rpc.Status, and no services', () => {
    const text = fs.readFileSync(SCHEMA_FILE, 'utf8');
    for (const field of ['rejectedSpans', 'rejectedDataPoints', 'rejectedLogRecords']) expect(text).toContain(`"${field}"`);
    const schema = JSON.parse(text);
    expect(Object.keys(schema.nested.google.nested.rpc.nested)).toEqual(['Status']);
    expect(text).not.toContain('"methods"');
  });
});
