/**
 * The webhook route and the credentials route under load in local mode, with a real load generator (autocannon)
 * over loopback, next to a trivial route in the same run. Prints figures; asserts nothing.
 *
 *   npm run bench:load [-- --seconds 10 --connections 10]
 */
import autocannon from 'autocannon';
import { webhookSignature } from '../../lambdas/adapters/tiktok/webhook-signature';
import { appCredentials, argument, connectSandboxSeller, quietPowertools } from './bench-kit';
import { printTable } from './stats';

quietPowertools();

interface LoadResult {
  readonly name: string;
  readonly result: autocannon.Result;
}

async function main() {
  const seconds = argument('seconds', 10);
  const connections = argument('connections', 10);
  const { startLocalService } = await import('../../local/local-service');
  const service = await startLocalService({ port: 0, env: {}, schedules: false });
  try {
    await connectSandboxSeller(service, 'sbx-open-gb-0001');
    const { appKey, appSecret } = appCredentials(service);
    let delivery = 0;

    const load = (name: string, options: Partial<autocannon.Options>) =>
      new Promise<LoadResult>((resolve, reject) => {
        autocannon({ url: service.url, connections, duration: seconds, ...options }, (error, result) =>
          error ? reject(error) : resolve({ name, result }),
        );
      });

    const results: LoadResult[] = [];
    results.push(await load('baseline GET /_local/health', { requests: [{ method: 'GET', path: '/_local/health' }] }));
    results.push(
      await load('POST /webhooks/tiktok (new deliveries)', {
        requests: [
          {
            method: 'POST',
            path: '/webhooks/tiktok',
            setupRequest: (request) => {
              const body = JSON.stringify({
                type: 1,
                tts_notification_id: `load-${++delivery}`,
                shop_id: '7494000000000000101',
                timestamp: Math.floor(Date.now() / 1000),
                data: { order_id: `5766536881352${delivery}`, order_status: 'AWAITING_SHIPMENT' },
              });
              return {
                ...request,
                body,
                headers: {
                  'content-type': 'application/json',
                  authorization: webhookSignature(appKey, appSecret, Buffer.from(body)),
                },
              };
            },
          },
        ],
      }),
    );
    results.push(
      await load('GET /shops/{shopId}/credentials', {
        requests: [{ method: 'GET', path: '/shops/7494000000000000101/credentials' }],
      }),
    );
    results.push(await load('baseline again', { requests: [{ method: 'GET', path: '/_local/health' }] }));

    const base = results[0]?.result.requests.average ?? 1;
    console.log(
      `\nLoad on loopback, local mode (dynalite): ${connections} connections, ${seconds} s each (Node ${process.version})\n`,
    );
    printTable([
      ['route', 'requests/s', 'p50', 'p99', 'non-2xx', 'errors', 'throughput vs baseline'],
      ...results.map(({ name, result }) => [
        name,
        result.requests.average.toFixed(0),
        `${result.latency.p50} ms`,
        `${result.latency.p99} ms`,
        String(result.non2xx),
        String(result.errors),
        `${(result.requests.average / base).toFixed(2)}x`,
      ]),
    ]);
  } finally {
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
