import fc from 'fast-check';
import { webhookSignature } from '../../../lambdas/adapters/tiktok/webhook-signature';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { rawTable } from '../../support/local-journey';

const APP_KEY = 'fuzz-app-key';
const APP_SECRET = 'fuzz-app-secret';

/** Header values fetch can send: visible ASCII and spaces, no line breaks. */
const headerValue = fc.string({
  unit: fc.constantFrom(...' !#$%&*+-.0123456789=ABCDEFabcdef^_xyz|~'.split('')),
  maxLength: 80,
});
const signatureLike = fc.oneof(
  headerValue,
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
  fc.stringMatching(/^[0-9A-F]{64}$/),
);
const bodies = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.json({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  fc
    .record({
      type: fc.integer({ min: -5, max: 100 }),
      shop_id: fc.string(),
      timestamp: fc.integer(),
      data: fc.object(),
    })
    .map((value) => JSON.stringify(value)),
);
const contentTypes = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data',
);

describe('the webhook endpoint under random input', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ port: 0, env: { TIKTOK_APP_KEY: APP_KEY, TIKTOK_APP_SECRET: APP_SECRET } });
  });
  afterAll(() => service.stop());

  const post = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${service.url}/webhooks/tiktok`, { method: 'POST', headers, body });

  it('never answers 5xx and never changes anything without a valid signature', async () => {
    const before = { events: service.events.list().length, table: await rawTable(service) };

    await fc.assert(
      fc.asyncProperty(
        bodies,
        fc.option(signatureLike, { nil: undefined }),
        contentTypes,
        async (body, signature, contentType) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (signature !== undefined) headers.authorization = signature;

          const response = await post(body, headers);
          await response.arrayBuffer();

          expect(response.status).toBe(401);
        },
      ),
      { numRuns: 300 },
    );

    expect(service.events.list().length).toBe(before.events);
    expect(await rawTable(service)).toBe(before.table);
  });

  it('answers any signed body with 200, 400 or 413, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, contentTypes, async (body, contentType) => {
        const bytes = Buffer.from(body);
        const response = await post(bytes, {
          'content-type': contentType,
          authorization: webhookSignature(APP_KEY, APP_SECRET, bytes),
        });
        await response.arrayBuffer();

        expect([200, 400, 413]).toContain(response.status);
      }),
      { numRuns: 300 },
    );
  });
});
