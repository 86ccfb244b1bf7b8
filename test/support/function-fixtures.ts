/**
 * Function code for the emulator's function side: instrumented handlers as a Lambda zip would hold
 * them (a Node.js handler has its node_modules inside: it is bundled with esbuild into one file).
 *
 *   const fn = await bundleNodeOtelFunction();   // fn.dir plays /var/task, handler 'index.handler'
 *   try { ... } finally { fn.cleanup(); }
 *
 * Python: {@link PYTHON_OTLP_FUNCTION_DIR} (handler `handler.handler`), run by
 * {@link PYTHON_RUNTIME_SCRIPT} (the emulator's minimal Python runtime loop, a `runtimeCommand`;
 * `-B`: no __pycache__ written into the repository).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'functions');

export const NODE_OTEL_HANDLER_SOURCE = path.join(FIXTURES, 'node-otel', 'handler.ts');
export const PYTHON_OTLP_FUNCTION_DIR = path.join(FIXTURES, 'python-otlp');
export const PYTHON_RUNTIME_SCRIPT = path.join(__dirname, '..', 'emulator', 'runtime', 'python-runtime.py');

export interface FunctionAsset {
  /** The function's code folder (LAMBDA_TASK_ROOT). */
  readonly dir: string;
  /** `_HANDLER`. */
  readonly handler: string;
  /** Removes the folder. */
  cleanup(): void;
}

/** test/fixtures/functions/node-otel/handler.ts with the OpenTelemetry SDK, as `index.js` in a temp folder. */
export async function bundleNodeOtelFunction(): Promise<FunctionAsset> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-otel-fn-'));
  try {
    await esbuild.build({
      entryPoints: [NODE_OTEL_HANDLER_SOURCE],
      outfile: path.join(dir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'cjs',
      logLevel: 'warning',
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, handler: 'index.handler', cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let pythonExecutable: string | undefined;

/**
 * The interpreter `python3` is on this process's PATH (where `npx projen install:python` put
 * opentelemetry-proto), as an absolute path: the emulator gives the runtime Lambda's PATH, and a
 * version manager's shim would not find its interpreter there.
 */
export function pythonInterpreter(): string {
  pythonExecutable ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  return pythonExecutable;
}

/** The Python function (official opentelemetry-proto classes), used in place. */
export function pythonOtlpFunction(): Omit<FunctionAsset, 'cleanup'> & { readonly runtimeCommand: readonly string[] } {
  return { dir: PYTHON_OTLP_FUNCTION_DIR, handler: 'handler.handler', runtimeCommand: [pythonInterpreter(), '-u', '-B', PYTHON_RUNTIME_SCRIPT] };
}
