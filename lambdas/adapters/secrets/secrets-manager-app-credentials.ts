import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import type { AppKeyAndSecret } from '../../domain/model';
import type { AppCredentials } from '../../ports';

const filledText = z.string().check(z.trim(), z.minLength(1));

export const appSecretSchema = z.pipe(
  z.object({ app_key: filledText, app_secret: filledText }),
  z.transform((secret) => ({ appKey: secret.app_key, appSecret: secret.app_secret })),
);

/** The secret is not `{"app_key", "app_secret"}`, or still empty. Says which secret, never its value. */
export class AppSecretInvalidError extends Error {
  constructor(secretId: string, options?: { cause?: unknown }) {
    super(
      `the secret ${secretId} must hold JSON {"app_key": "...", "app_secret": "..."} with both values filled`,
      options,
    );
    this.name = 'AppSecretInvalidError';
  }
}

/** A secret found invalid is read again at most this often, not every request. */
export const INVALID_SECRET_RECHECK_MS = 5_000;

/**
 * The app's key and secret from the Secrets Manager secret `{"app_key", "app_secret"}`, cached for `maxAgeSeconds`
 * by Powertools Parameters; `reload` reads past the cache when TikTok says they are wrong (they may have changed).
 * A value that fails validation (the template's empty placeholder) is not kept: the next read goes to Secrets
 * Manager again, at most every few seconds, so that a secret filled in by the operator is used within seconds.
 */
export class SecretsManagerAppCredentials implements AppCredentials {
  private readonly provider: SecretsProvider;
  /** When a read last found the secret invalid. */
  private invalidAt?: number;
  /** When `reload` last read past the cache. */
  private reloadedAt?: number;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly maxAgeSeconds = 300,
    private readonly now: () => number = Date.now,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  get(): Promise<AppKeyAndSecret> {
    return this.read(false);
  }

  /** Reads past the cache at most every few seconds: a flood of refusals must not become a flood of reads. */
  reload(): Promise<AppKeyAndSecret> {
    const recent = this.reloadedAt !== undefined && this.now() - this.reloadedAt < INVALID_SECRET_RECHECK_MS;
    if (!recent) this.reloadedAt = this.now();
    return this.read(!recent);
  }

  private async read(forceFetch: boolean): Promise<AppKeyAndSecret> {
    const foundInvalid = this.invalidAt !== undefined;
    if (foundInvalid && this.now() - (this.invalidAt ?? 0) < INVALID_SECRET_RECHECK_MS) {
      throw new AppSecretInvalidError(this.secretId);
    }
    let value: unknown;
    try {
      value = await this.provider.get(this.secretId, {
        maxAge: this.maxAgeSeconds,
        forceFetch: forceFetch || foundInvalid,
        transform: 'json',
      });
    } catch (cause) {
      // A secret that is not JSON fails in the transform; other failures (access, network) are not ours to rename.
      if (cause instanceof Error && cause.name === 'TransformParameterError') throw this.invalid();
      throw cause;
    }
    const parsed = appSecretSchema.safeParse(value);
    if (!parsed.success) throw this.invalid();
    this.invalidAt = undefined;
    return parsed.data;
  }

  private invalid(): AppSecretInvalidError {
    this.invalidAt = this.now();
    return new AppSecretInvalidError(this.secretId);
  }
}
