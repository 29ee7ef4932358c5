import type { Context, SQSEvent } from 'aws-lambda';
import { createRefreshWorkerHandler } from '../../../lambdas/handlers/refresh-worker';
import { tokenRefreshSettings } from '../../../lambdas/shared/config';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { authorizeInSandbox, browse, captureOutput, TestClock } from '../../support/local-journey';

const DAY = 86_400_000;
const GB = 'sbx-open-gb-0001';

/** The refresh worker as SQS invokes it: partial batch failures, each brought back after its own delay. */
describe('the refresh worker handler', () => {
  let clock: TestClock;
  let service: LocalService;
  let handedBack: Array<{ handle: string; delaySeconds: number }>;

  beforeEach(async () => {
    clock = new TestClock();
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false, tiktokTimeoutMs: 200 });
    handedBack = [];
    const { callbackUrl } = await authorizeInSandbox(service, { openId: GB, accountId: 'acc-gb' });
    expect((await browse(callbackUrl)).status).toBe(302);
    clock.advance(6 * DAY);
  });
  afterEach(() => service.stop());

  let refuseDelays = false;
  const handler = () =>
    createRefreshWorkerHandler(() => ({
      ...service.dependencies,
      settings: tokenRefreshSettings(service.env),
      retryLater: async (handle, delaySeconds) => {
        if (refuseDelays)
          throw new Error('AccessDeniedException: not authorized to perform sqs:ChangeMessageVisibility');
        handedBack.push({ handle, delaySeconds });
      },
    }));
  const sqsEvent = (bodies: string[]): SQSEvent => ({
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}`,
      receiptHandle: `handle-${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1' } as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:refresh',
      awsRegion: 'eu-west-1',
    })),
  });
  const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
  const invoke = async (bodies: string[], remainingMs = 30_000) => {
    const output = captureOutput();
    try {
      const response = await handler()(sqsEvent(bodies), context(remainingMs));
      return { response, logs: output.text() };
    } finally {
      output.restore();
    }
  };

  it('refreshes a queued grant and reports no failure', async () => {
    const { response, logs } = await invoke([JSON.stringify({ openId: GB })]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toContain('"TokensRefreshed"');
    expect(handedBack).toEqual([]);
  });

  it('hands a failed refresh back after a minute, counted as a failure', async () => {
    service.sandbox.startOutage('token/refresh', { status: 503 });

    const { response, logs } = await invoke([JSON.stringify({ openId: GB })]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(handedBack).toEqual([{ handle: 'handle-0', delaySeconds: 60 }]);
    expect(logs).toContain('"TokenRefreshFailed"');
  });

  it('hands back unstarted what its budget cannot finish, soon, and not as a failure', async () => {
    // 10 s left: a budget of 8 s, less the hand-back's 1.5 s, is short of the 12 s a refresh needs.
    const { response, logs } = await invoke([JSON.stringify({ openId: GB })], 10_000);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(handedBack).toEqual([{ handle: 'handle-0', delaySeconds: 10 }]);
    expect(logs).toContain('"RefreshDeferred"');
    expect(logs).not.toContain('"TokenRefreshFailed"');
    expect(service.sandbox.calls['token/refresh']).toBe(0);
    expect(await service.dependencies.store.getGrant(GB)).toMatchObject({ refreshFailures: 0 });
  });

  it('still hands the message back when its delay cannot be set, and says why', async () => {
    service.sandbox.startOutage('token/refresh', { status: 503 });
    refuseDelays = true;

    const { response, logs } = await invoke([JSON.stringify({ openId: GB })]).finally(() => {
      refuseDelays = false;
    });

    // The queue's own visibility timeout brings it back.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(logs).toContain('could not set the retry delay of a refresh message');
    expect(logs).toContain('sqs:ChangeMessageVisibility');
  });

  it('sends a message that is not {"openId"} to the dead-letter queue through the queue’s own count', async () => {
    const { response } = await invoke(['not json', JSON.stringify({ openId: GB })]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    expect(handedBack).toEqual([]);
  });
});
