import { startLocalService } from './local-service';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(1);
}

startLocalService({ port })
  .then((service) => {
    const sandbox = service.env.TIKTOK_AUTH_BASE_URL?.startsWith(service.url) ? ' (the local TikTok Shop sandbox)' : '';
    console.log(`
tiktok-shop-auth is running locally on ${service.url}

  Start here:        ${service.url}/   authorize a sandbox seller in your browser
  Redirect URL:      ${service.url}/oauth/callback
  TikTok:            ${service.env.TIKTOK_AUTH_BASE_URL}${sandbox}
  Events so far:     ${service.url}/_local/events

  Or from a terminal:
    curl -s -X POST ${service.url}/authorization-links -H 'content-type: application/json' -d '{"accountId":"demo"}'
    curl -s ${service.url}/sellers/sbx-open-gb-0001
    curl -s ${service.url}/shops/7494000000000000101/credentials

Ctrl-C stops it; everything is kept in memory only.
`);
    const stop = () => void service.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })
  .catch((error: unknown) => {
    console.error('local mode could not start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
