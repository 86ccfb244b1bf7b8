/**
 * The full soak (`npx projen soak`, after the layer is built): 10,000 invocations with function
 * logs through the real layer in the emulator. Prints the extension's RSS and its heap after a
 * full GC (a preloaded probe, fixtures/heap-probe.cjs) as it goes, then the loss counts; exits
 * non-zero when anything was lost or memory kept growing.
 *
 *   SOAK_INVOCATIONS=20000 npx projen soak            # another length
 *   SOAK_ENV='{"NODE_OPTIONS":""}' npx projen soak     # without the probe's periodic GC
 */
import { runSoak, steadyGrowthPer1000 } from './support/soak';

const invocations = Number(process.env.SOAK_INVOCATIONS ?? 10_000);
/** Second-half growth allowed per 1000 invocations: RSS (V8 and malloc settle), heap after GC (a leak). */
const MAX_RSS_GROWTH_KIB_PER_1000 = 1024;
const MAX_HEAP_GROWTH_KIB_PER_1000 = 256;

async function main(): Promise<number> {
  console.log(`soak: ${invocations} invocations, 3 log lines each, RSS of the extension every ${invocations / 20} invocations`);
  const result = await runSoak({
    invocations,
    linesPerInvocation: 3,
    sampleEvery: Math.max(1, Math.floor(invocations / 20)),
    env: process.env.SOAK_ENV ? JSON.parse(process.env.SOAK_ENV) as Record<string, string> : undefined,
    onSample: (s) => console.log(`  invocation ${String(s.invocation).padStart(6)}  RSS ${(s.rssKiB / 1024).toFixed(1).padStart(6)} MiB  heap after GC ${((s.heapAfterGcKiB ?? 0) / 1024).toFixed(1).padStart(5)} MiB  fds ${String(s.fds).padStart(4)}  ${(s.elapsedMs / 1000).toFixed(1)} s`),
  });
  const growth = steadyGrowthPer1000(result.samples);
  const heapGrowth = steadyGrowthPer1000(result.samples, (s) => s.heapAfterGcKiB);
  const first = result.samples[0].rssKiB;
  const last = result.samples[result.samples.length - 1].rssKiB;
  console.log(`RSS: first sample ${(first / 1024).toFixed(1)} MiB, last ${(last / 1024).toFixed(1)} MiB, second-half slope ${(growth / 1024).toFixed(2)} MiB per 1000 invocations`);
  console.log(`heap after GC: second-half slope ${heapGrowth.toFixed(0)} KiB per 1000 invocations`);
  console.log(`lost: ${result.lostLines} of ${result.expectedLines} log lines, ${result.lostSpans} of ${result.invocations} invocation spans; failed invocations ${result.failedInvocations}`);
  console.log(`extension summary: ${JSON.stringify(result.counters)}; exit code ${result.exitCode}; ${(result.elapsedMs / 1000).toFixed(1)} s`);
  const ok = result.lostLines === 0 && result.lostSpans === 0 && result.failedInvocations === 0 && result.counters.dropped === 0
    && result.exitCode === 0 && growth < MAX_RSS_GROWTH_KIB_PER_1000 && heapGrowth < MAX_HEAP_GROWTH_KIB_PER_1000;
  console.log(ok ? 'soak: OK' : 'soak: FAILED');
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
