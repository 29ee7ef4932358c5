import { startLocalService } from './local-service';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(1);
}

startLocalService({ port })
  .then((service) => {
    console.log(`tiktok-shop-auth (local mode) on ${service.url}`);
    console.log(`  events published so far: ${service.url}/_local/events`);
    const stop = () => void service.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })
  .catch((error: unknown) => {
    console.error('local mode could not start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
