'use strict';
/**
 * One cold start, in a fresh Node process: loads a bundle as Lambda's runtime does (`require`, or `import` for an
 * ES module bundle), hands its handler one event with a Lambda context, and reports on file descriptor 3 (stdout is
 * the function's log): how long the load and the first request took, when the first answer came counted from the
 * process's own start, the CPU time and memory used by then, and the answer or the error.
 *
 *   node cold-start-runner.cjs <bundle dir>/index.js '<event JSON>' <function name> <timeout ms>   (fd 3: a pipe)
 */
const { writeSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const [bundle = '', eventJson = '{}', name = 'function', timeout = '10000'] = process.argv.slice(2);
const timeoutMs = Number(timeout);

function lambdaContext() {
  const started = Date.now();
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
    awsRequestId: `bench-${process.pid}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
  };
}

async function main() {
  const loadStart = performance.now();
  const { handler } = bundle.endsWith('.mjs') ? await import(pathToFileURL(bundle).href) : require(bundle);
  const loaded = performance.now();
  let outcome;
  try {
    outcome = { result: await handler(JSON.parse(eventJson), lambdaContext()) };
  } catch (error) {
    outcome = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  const answered = performance.now();
  const cpu = process.cpuUsage();
  const report = {
    loadMs: loaded - loadStart,
    firstRequestMs: answered - loaded,
    totalMs: answered,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: process.memoryUsage().rss / 1048576,
    ...outcome,
  };
  writeSync(3, JSON.stringify(report));
  // The SDK's kept-alive sockets would hold the process open, as Lambda's frozen sandbox would.
  process.exit(0);
}

void main();
