import Koa from 'koa';
import { request, serve } from './http-helpers';
import { ListenerStartError, resolveListenAddress, startListener } from '../../extension-src/listener/server';

function helloApp(): Koa {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = 'hello';
  });
  return app;
}

describe('resolveListenAddress', () => {
  test('uses what sandbox.localdomain resolves to', async () => {
    const lookup = jest.fn(async () => ({ address: '169.254.100.1' }));
    await expect(resolveListenAddress(lookup)).resolves.toBe('169.254.100.1');
    expect(lookup).toHaveBeenCalledWith('sandbox.localdomain');
  });

  test.each(['0.0.0.0', '::'])('never a wildcard (%s): falls back to 127.0.0.1', async (address) => {
    await expect(resolveListenAddress(async () => ({ address }))).resolves.toBe('127.0.0.1');
  });

  test('falls back to 127.0.0.1 when the name does not resolve', async () => {
    await expect(resolveListenAddress(async () => { throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }); })).resolves.toBe('127.0.0.1');
  });

  test('falls back to 127.0.0.1 when the resolver hangs', async () => {
    jest.useFakeTimers();
    try {
      const pending = resolveListenAddress(() => new Promise(() => undefined));
      await jest.advanceTimersByTimeAsync(500);
      await expect(pending).resolves.toBe('127.0.0.1');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('startListener', () => {
  test('serves the app on the given address and a random port', async () => {
    const listener = await startListener(helloApp(), 0, { address: '127.0.0.1' });
    try {
      expect(listener.address).toBe('127.0.0.1');
      expect(listener.port).toBeGreaterThan(0);
      expect((await request(listener.port, 'GET', '/')).body).toBe('hello');
    } finally {
      await listener.close();
    }
  });

  test('binds where the lookup says when no address is given', async () => {
    const listener = await startListener(helloApp(), 0, { lookup: async () => ({ address: '127.0.0.1' }) });
    try {
      expect(listener.address).toBe('127.0.0.1');
    } finally {
      await listener.close();
    }
  });

  test('a port in use is a ListenerStartError with EADDRINUSE and a useful message', async () => {
    const taken = await serve((_req, res) => res.end());
    try {
      const error = await startListener(helloApp(), taken.port, { address: '127.0.0.1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ListenerStartError);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port: taken.port, address: '127.0.0.1' });
      expect((error as Error).message).toBe(`port ${taken.port} on 127.0.0.1 is already in use (another extension?); choose another port with TELEMETRY_EXTENSION_PORT`);
    } finally {
      await taken.close();
    }
  });

  test('refuses a wildcard address', async () => {
    await expect(startListener(helloApp(), 0, { address: '0.0.0.0' })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
