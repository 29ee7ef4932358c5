/**
 * Bytes of logs (and metrics, which travel in the logs) each hot request writes, measured from local mode's output:
 * what CloudWatch Logs ingests per invocation, before Lambda's own START/END/REPORT lines. Prints figures.
 *
 *   npm run bench:logs
 */
import { webhookSignature } from '../../lambdas/adapters/tiktok/webhook-signature';
import { appCredentials, connectSandboxSeller } from './bench-kit';
import { printTable } from './stats';

const REQUESTS = 200;

async function main() {
  const { startLocalService } = await import('../../local/local-service');
  const service = await startLocalService({ port: 0, env: {}, schedules: false });
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  const measure = async (request: (i: number) => Promise<Response>) => {
    bytes = 0;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return true;
    }) as typeof process.stdout.write;
    try {
      for (let i = 0; i < REQUESTS; i++) await (await request(i)).arrayBuffer();
    } finally {
      process.stdout.write = write;
    }
    return bytes / REQUESTS;
  };
  try {
    await connectSandboxSeller(service, 'sbx-open-gb-0001');
    const { appKey, appSecret } = appCredentials(service);
    const webhook = await measure((i) => {
      const body = JSON.stringify({
        type: 1,
        tts_notification_id: `log-${i}`,
        shop_id: '7494000000000000101',
        // Sent now: one older than receipts are kept would be a replay, ignored with a line of its own.
        timestamp: Math.floor(Date.now() / 1000),
        data: { order_id: `${i}` },
      });
      return fetch(`${service.url}/webhooks/tiktok`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: webhookSignature(appKey, appSecret, Buffer.from(body)),
        },
        body,
      });
    });
    const credentials = await measure(() => fetch(`${service.url}/shops/7494000000000000101/credentials`));
    console.log(
      `\nLog and metric bytes per request, local mode, log level ${process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO'} (${REQUESTS} requests each)\n`,
    );
    printTable([
      ['request', 'bytes per request'],
      ['POST /webhooks/tiktok', webhook.toFixed(0)],
      ['GET /shops/{shopId}/credentials', credentials.toFixed(0)],
    ]);
  } finally {
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
