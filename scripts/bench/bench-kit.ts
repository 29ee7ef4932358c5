/** What the benchmark scripts share: their numeric options, and a seller connected through the local sandbox. */
import type { LocalService } from '../../local/local-service';

/** `--name N` from the command line, a positive whole number, or the fallback. */
export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

/** Quiet, as a function at INFO would be in production but without a terminal to print to. */
export function quietPowertools(): void {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}

/** The seller approves in the sandbox (without a state) and the callback stores it, as the browser would. */
export async function connectSandboxSeller(service: LocalService, openId: string): Promise<void> {
  const callback = await fetch(service.sandbox.approve(openId), { redirect: 'manual' });
  if (callback.status !== 302) throw new Error(`connecting ${openId} answered ${callback.status}`);
}

/** The local app's key and secret, to sign webhooks as TikTok does. */
export const appCredentials = (service: LocalService) => ({
  appKey: service.env.TIKTOK_APP_KEY ?? '',
  appSecret: service.env.TIKTOK_APP_SECRET ?? '',
});
