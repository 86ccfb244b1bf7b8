// The function of the modes' end-to-end tests: what it does depends on the event.
//   {n, ms}       logs "begin <n>", waits ms, logs "end <n>"
//   {grow: mb}    grows its memory by 16 MB every 5 ms up to mb, then waits
//   {crash: true} the runtime process exits mid-invocation
//   {hang: true}  outlasts any timeout
let restoredAt;

exports.handler = async (event, context) => {
  const n = event && event.n !== undefined ? event.n : '-';
  console.log(`begin ${n}`);
  if (event && event.grow) {
    const chunks = [];
    while (chunks.length * 16 < event.grow) {
      chunks.push(Buffer.alloc(16 * 1024 * 1024, 1));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  }
  if (event && event.crash) {
    console.log(`crashing ${n}`);
    process.exit(3);
  }
  if (event && event.hang) await new Promise((resolve) => setTimeout(resolve, 60_000));
  if (event && event.ms) await new Promise((resolve) => setTimeout(resolve, event.ms));
  console.log(`end ${n}`);
  return { n, requestId: context.awsRequestId, restoredAt };
};

// SnapStart: the emulator's Node.js stand-in for an after-restore runtime hook.
exports.afterRestore = async () => {
  restoredAt = Date.now();
  console.log('after restore');
};
