// The CloudWatch e2e function: logs at four levels, fails when asked.
exports.handler = async (event) => {
  const tag = (event && event.tag) || 'x';
  console.debug(`debug detail ${tag}`);
  console.info(`handling ${tag}`);
  // Where Lambda writes this function's own logs (the group cloudWatchLogsIngestion STOP denies).
  if (event && event.logGroup) console.info(`log group ${process.env.AWS_LAMBDA_LOG_GROUP_NAME}`);
  console.warn(`slow path ${tag}`);
  if (event && event.fail) {
    console.error(`failing ${tag}`);
    throw new Error(`asked to fail ${tag}`);
  }
  return { ok: true, tag };
};
