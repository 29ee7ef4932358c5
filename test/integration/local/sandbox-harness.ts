import { createServer } from 'node:http';
import * as z from 'zod';
import { signOpenApi } from '../../../local/sandbox/sandbox-signing';
import { type SandboxOptions, TikTokSandbox } from '../../../local/sandbox/tiktok-sandbox';
import type { TestClock } from '../../support/local-journey';

export const APP = { app_key: 'harness-app-key', app_secret: 'harness-app-secret' } as const;
export const SHOPS_PATH = '/authorization/202309/shops';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** What every token answer has, whatever the seller. */
export const tokenAnswer = z.object({
  code: z.literal(0),
  data: z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    access_token_expire_in: z.number(),
    refresh_token_expire_in: z.number(),
    open_id: z.string(),
  }),
});
export type TokenAnswer = z.infer<typeof tokenAnswer>;

export const refusal = z.object({ code: z.number(), message: z.string() });

export interface ServedSandbox {
  readonly sandbox: TikTokSandbox;
  readonly url: string;
  /** The seller approves and the app exchanges the code: the raw answer. */
  exchange(openId: string): Promise<unknown>;
  /** The raw answer to `/api/v2/token/refresh`. */
  refresh(refreshToken: string): Promise<unknown>;
  /** The raw answer to a correctly signed Get Authorized Shops. */
  shops(accessToken: string): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A sandbox of its own on loopback, outside local mode: for options local mode does not expose and for webhooks
 * aimed at an endpoint the test controls.
 */
export async function serveSandbox(
  options: Partial<SandboxOptions> & { readonly clock: TestClock; readonly webhookUrl: string },
): Promise<ServedSandbox> {
  const sandbox = new TikTokSandbox({
    appKey: APP.app_key,
    appSecret: APP.app_secret,
    serviceId: 'harness-service-id',
    redirectUrl: 'https://app.example.com/oauth/callback',
    ...options,
  });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      void sandbox.handle(request, response, path, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the harness server has no port');
  const url = `http://127.0.0.1:${address.port}`;
  const get = async (path: string, query: Record<string, string>, headers: Record<string, string> = {}) =>
    (await fetch(`${url}${path}?${new URLSearchParams(query)}`, { headers })).json();

  return {
    sandbox,
    url,
    exchange: (openId) => {
      const code = new URL(sandbox.approve(openId)).searchParams.get('code') ?? '';
      return get('/api/v2/token/get', { ...APP, auth_code: code, grant_type: 'authorized_code' });
    },
    refresh: (refreshToken) =>
      get('/api/v2/token/refresh', { ...APP, refresh_token: refreshToken, grant_type: 'refresh_token' }),
    shops: (accessToken) => {
      const query = { app_key: APP.app_key, timestamp: String(Math.floor(options.clock.now().getTime() / 1000)) };
      const sign = signOpenApi({ path: SHOPS_PATH, query: Object.entries(query) }, APP.app_secret);
      return get(SHOPS_PATH, { ...query, sign }, { 'x-tts-access-token': accessToken });
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Moves the clock to `hours` past the next 0:00 UTC, so that the test knows which midnights come when. */
export function moveToHourAfterMidnight(clock: TestClock, hours: number): Date {
  const now = clock.now().getTime();
  const nextMidnight = (Math.floor(now / DAY) + 1) * DAY;
  clock.advance(nextMidnight + hours * HOUR - now);
  return new Date(nextMidnight);
}
