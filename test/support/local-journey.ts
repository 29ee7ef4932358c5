import { ScanCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { Clock } from '../../lambdas/ports';
import type { LocalService } from '../../local/local-service';

/** A clock that can be moved forward; everything in one local service (and its sandbox) reads it. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A browser that does not follow redirects, so each hop can be looked at. */
export const browse = (url: string, init: RequestInit = {}) => fetch(url, { redirect: 'manual', ...init });

export const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const location = (response: Response) => new URL(response.headers.get('location') ?? 'about:blank');

/** Everything a seller's authorization leaves behind that could carry a secret by mistake. */
export class SecretWatch {
  readonly values = new Set<string>();

  add(...values: Array<string | null | undefined>): void {
    for (const value of values) if (value) this.values.add(value);
  }

  found(haystack: string): string[] {
    return [...this.values].filter((value) => haystack.includes(value));
  }
}

export interface Authorization {
  readonly state?: string;
  readonly code: string;
  readonly callbackUrl: string;
}

/**
 * The seller's browser from the app's link to the callback URL: asks for a link (unless `withoutState`), opens the
 * sandbox's authorize page, approves as `openId`, and returns where TikTok sends the browser back.
 */
export async function authorizeInSandbox(
  service: LocalService,
  options: { openId: string; accountId?: string; returnTo?: string; withoutState?: boolean },
): Promise<Authorization> {
  let authorizeUrl = `${service.url}/sandbox/open/authorize?service_id=sandbox-service-id`;
  if (!options.withoutState) {
    const created = await postJson(`${service.url}/authorization-links`, {
      accountId: options.accountId ?? 'account-1',
      ...(options.returnTo ? { returnTo: options.returnTo } : {}),
    });
    if (created.status !== 201) throw new Error(`the link was refused: ${created.status} ${await created.text()}`);
    authorizeUrl = z.object({ url: z.string() }).parse(await created.json()).url;
  }
  const page = await browse(authorizeUrl);
  if (page.status !== 200) throw new Error(`the authorize page answered ${page.status}`);
  const state = new URL(authorizeUrl).searchParams.get('state') ?? undefined;
  const decision = await browse(`${service.url}/sandbox/open/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ state: state ?? '', seller: options.openId, decision: 'approve' }).toString(),
  });
  const callback = location(decision);
  return { state, code: callback.searchParams.get('code') ?? '', callbackUrl: callback.toString() };
}

export async function rawTable(service: LocalService): Promise<string> {
  const { Items } = await service.dynamo.client.send(new ScanCommand({ TableName: 'tiktok-shop-auth' }));
  return JSON.stringify(Items ?? []);
}

/** Captures what the process writes to stdout and stderr (where Lambda's logs go) while the tests run. */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write'), jest.spyOn(process.stderr, 'write')].map((spy) =>
    spy.mockImplementation(capture),
  );
  return {
    text: () => chunks.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
