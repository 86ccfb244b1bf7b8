// The example function: succeeds, fails or times out depending on the event.
exports.handler = async (event) => {
  const action = (event && event.action) || 'ok';
  console.log(`handling ${action}`);
  if (action === 'fail') {
    console.warn('about to fail');
    throw new Error('the example function was asked to fail');
  }
  if (action === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (action === 'crash') {
    process.exit(3);
  }
  if (action === 'hang') {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  }
  return { ok: true, action };
};
