/**
 * The webhook path's latency in local mode, over real HTTP on loopback: a few thousand signed deliveries (and as
 * many copies sent again) next to a trivial route measured in the same run. Prints figures; asserts nothing.
 *
 *   npm run bench:webhooks [-- --deliveries 3000]
 */
import { webhookSignature } from '../../lambdas/adapters/tiktok/webhook-signature';
import { appCredentials, argument, connectSandboxSeller, quietPowertools } from './bench-kit';
import { ms, printTable, type Summary, summarize } from './stats';

quietPowertools();

async function timeRequests(count: number, request: (i: number) => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await request(i);
    await response.arrayBuffer();
    samples.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`request ${i} answered ${response.status}`);
  }
  return samples;
}

async function main(): Promise<void> {
  const deliveries = argument('deliveries', 3000);
  const warmUp = Math.min(300, deliveries);
  const { startLocalService } = await import('../../local/local-service');
  const service = await startLocalService({ port: 0, env: {} });
  try {
    const { appKey, appSecret } = appCredentials(service);
    // A known shop, so each delivery looks its seller up as real ones do.
    await connectSandboxSeller(service, 'sbx-open-gb-0001');

    const body = (i: number, run: string) =>
      JSON.stringify({
        type: 1,
        tts_notification_id: `${run}-${i}`,
        shop_id: '7494000000000000101',
        timestamp: Math.floor(Date.now() / 1000),
        data: { order_id: `57665368813525${i}`, order_status: 'AWAITING_SHIPMENT', update_time: 1718305585 },
      });
    const deliver = (text: string) =>
      fetch(`${service.url}/webhooks/tiktok`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: webhookSignature(appKey, appSecret, Buffer.from(text)),
        },
        body: text,
      });
    const baseline = () => fetch(`${service.url}/_local/health`);

    await timeRequests(warmUp, baseline);
    await timeRequests(warmUp, (i) => deliver(body(i, 'warm')));

    const results: Array<[string, Summary]> = [];
    results.push(['baseline GET /_local/health', summarize(await timeRequests(deliveries, baseline))]);
    results.push(['webhook, new delivery', summarize(await timeRequests(deliveries, (i) => deliver(body(i, 'new'))))]);
    // A type 1 keeps no receipt: its copy is forwarded again, the same path as the first.
    results.push([
      'webhook, the same again',
      summarize(await timeRequests(deliveries, (i) => deliver(body(i, 'new')))),
    ]);
    results.push(['baseline again', summarize(await timeRequests(deliveries, baseline))]);

    const base = results[0]?.[1].median ?? 1;
    console.log(`\nWebhook path latency, local mode (dynalite), sequential over loopback, ${deliveries} requests each`);
    console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);
    printTable([
      ['route', 'median', 'p99', 'mean', 'max', 'median vs baseline'],
      ...results.map(([name, summary]) => [
        name,
        ms(summary.median),
        ms(summary.p99),
        ms(summary.mean),
        ms(summary.max),
        `${(summary.median / base).toFixed(1)}x`,
      ]),
    ]);
    console.log(
      `\nTikTok's limit is 3000 ms; the local p99 of a new delivery is ${ms(results[1]?.[1].p99 ?? Number.NaN)}.`,
    );
  } finally {
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
