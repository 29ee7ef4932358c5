'use strict';
/**
 * One Lambda function's bundle, run as the Node.js runtime runs it: loaded once from LAMBDA_TASK_ROOT at start (its
 * cold start), then one invocation per IPC message ({ id, event }), each with a Lambda context whose remaining time
 * counts down from the function's timeout, and cut at the timeout like Lambda does. Everything else (environment,
 * credentials, endpoint) comes from the environment the parent gives it. Usage: fork(this, [timeoutMs]).
 */
const { join } = require('node:path');
const { randomUUID } = require('node:crypto');

const timeoutMs = Number(process.argv[2]);
const handlerSpec = process.env._HANDLER ?? '';
const dot = handlerSpec.lastIndexOf('.');

const describe = (error) =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'NonError', message: String(error) };

let handler;
try {
  const module = require(join(process.env.LAMBDA_TASK_ROOT ?? '.', handlerSpec.slice(0, dot)));
  handler = module[handlerSpec.slice(dot + 1)];
  if (typeof handler !== 'function') throw new Error(`${handlerSpec} does not export a function`);
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1));
}

async function invoke(message) {
  const started = Date.now();
  const requestId = randomUUID();
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'deployed-test',
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
      timeoutMs,
    );
  });
  try {
    const result = await Promise.race([handler(message.event, context), timedOut]);
    process.send({ type: 'result', id: message.id, ok: true, result, durationMs: Date.now() - started });
  } catch (error) {
    // What Lambda's runtime logs for a failed invocation.
    console.error(
      JSON.stringify({ requestId, errorType: describe(error).name, errorMessage: describe(error).message }),
    );
    process.send({
      type: 'result',
      id: message.id,
      ok: false,
      error: describe(error),
      durationMs: Date.now() - started,
    });
  } finally {
    clearTimeout(timer);
  }
}

process.on('message', (message) => {
  void invoke(message);
});
