import { closeAll, startEmulator } from './helpers';

afterEach(closeAll);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function functionRecords(emu: Awaited<ReturnType<typeof startEmulator>>): unknown[] {
  return emu.telemetry.filter((e) => e.type === 'function').map((e) => e.record);
}

describe('function logs', () => {
  test('Text format: <ISO time>\\t<requestId>\\t<LEVEL>\\t<message>, one line per message, as strings', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.logs' });

    // WHEN
    const { requestId } = await emu.invoke({});
    await emu.waitFor(() => functionRecords(emu).includes('raw line'));

    // THEN
    const records = functionRecords(emu) as string[];
    expect(records.every((r) => typeof r === 'string')).toBe(true);
    const initLine = records[0].split('\t');
    expect(initLine[0]).toMatch(ISO);
    expect(initLine.slice(1)).toEqual(['undefined', 'INFO', 'cold start of handlers.cjs']);
    const invokeLines = records.slice(1).map((r) => r.split('\t').slice(1).join('\t'));
    expect(invokeLines.slice(0, 3)).toEqual([
      `${requestId}\tINFO\thello world`,
      `${requestId}\tINFO\t{ a: 1 }`,
      `${requestId}\tWARN\tmulti\rline`,
    ]);
    expect(invokeLines[3]).toMatch(new RegExp(`^${requestId}\\tERROR\\tError: bad\\r    at `));
    expect(invokeLines[4]).toBe(`${requestId}\tDEBUG\tdbg`);
    expect(records[records.length - 1]).toBe('raw line');
    expect(emu.linesOf('runtime')).toHaveLength(records.length);
  });

  test('JSON format: one object per line with timestamp, level, requestId, message', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.logs', logFormat: 'JSON' });

    // WHEN
    const { requestId } = await emu.invoke({});
    await emu.waitFor(() => functionRecords(emu).includes('raw line'));

    // THEN
    const records = functionRecords(emu) as Record<string, unknown>[];
    expect(records[0]).toEqual({ timestamp: expect.stringMatching(ISO), level: 'INFO', message: 'cold start of handlers.cjs' });
    expect(records[1]).toEqual({ timestamp: expect.stringMatching(ISO), level: 'INFO', requestId, message: 'hello world' });
    expect(records[2]).toMatchObject({ level: 'INFO', requestId, message: { a: 1 } });
    expect(records[3]).toMatchObject({ level: 'WARN', message: 'multi\nline' });
    expect(records[4]).toMatchObject({ level: 'ERROR', requestId, message: { errorType: 'Error', errorMessage: 'bad' } });
    expect(records[5]).toMatchObject({ level: 'DEBUG', message: 'dbg' });
    expect(records[records.length - 1]).toBe('raw line');
  });

  test('JSON format with AWS_LAMBDA_LOG_LEVEL filters lower levels', async () => {
    const emu = await startEmulator({ handler: 'handlers.logs', logFormat: 'JSON', logLevel: 'WARN' });

    await emu.invoke({});
    await emu.waitFor(() => functionRecords(emu).includes('raw line'));

    const levels = (functionRecords(emu) as { level?: string }[]).map((r) => r.level ?? 'raw');
    expect(levels).toEqual(['WARN', 'ERROR', 'raw']);
  });
});
