/**
 * "Expect to throw" helpers that hand back the error, for tests that check more than a message
 * pattern (its class, its fields, what it does not contain). Both fail the test with a clear
 * message when nothing is thrown, or when the error is not of the expected class.
 *
 * @example
 *   const error = thrown(() => readConfig(env), ConfigError);
 *   expect(error.message).toBe('TELEMETRY_EXTENSION_PORT must be ...');
 *   const rejected = await rejection(subscribe(options), SubscribeError);
 */

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function check<E extends Error>(error: unknown, type: ErrorClass<E> | undefined, what: string): E {
  if (type !== undefined && !(error instanceof type)) {
    const got = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    throw new Error(`expected ${what} a ${type.name}, got ${got}`);
  }
  if (type === undefined && !(error instanceof Error)) throw new Error(`expected ${what} an Error, got ${String(error)}`);
  return error as E;
}

/** The error `fn` throws; fails when it returns, or (with `type`) throws something else. */
export function thrown<E extends Error = Error>(fn: () => unknown, type?: ErrorClass<E>): E {
  try {
    fn();
  } catch (error) {
    return check(error, type, 'it to throw');
  }
  throw new Error(`expected it to throw${type ? ` a ${type.name}` : ''}, but it returned`);
}

/** The reason `promise` rejects with; fails when it resolves, or (with `type`) rejects with something else. */
export async function rejection<E extends Error = Error>(promise: Promise<unknown>, type?: ErrorClass<E>): Promise<E> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return check(error, type, 'it to reject with');
  }
  throw new Error(`expected it to reject${type ? ` with a ${type.name}` : ''}, but it resolved with ${JSON.stringify(value)}`);
}
