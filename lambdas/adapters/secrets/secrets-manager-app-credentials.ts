import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { AppKeyAndSecret } from '../../domain/model';
import type { AppCredentials } from '../../ports';

export const appSecretSchema = z
  .object({ app_key: z.string().trim().min(1), app_secret: z.string().trim().min(1) })
  .transform((secret) => ({ appKey: secret.app_key, appSecret: secret.app_secret }));

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

/**
 * The app's key and secret from the Secrets Manager secret `{"app_key", "app_secret"}`, cached for `maxAgeSeconds`
 * by Powertools Parameters; `reload` reads past the cache when TikTok says they are wrong (they may have changed).
 */
export class SecretsManagerAppCredentials implements AppCredentials {
  private readonly provider: SecretsProvider;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly maxAgeSeconds = 300,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  get(): Promise<AppKeyAndSecret> {
    return this.read(false);
  }

  reload(): Promise<AppKeyAndSecret> {
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<AppKeyAndSecret> {
    let value: unknown;
    try {
      value = await this.provider.get(this.secretId, { maxAge: this.maxAgeSeconds, forceFetch, transform: 'json' });
    } catch (cause) {
      // A secret that is not JSON fails in the transform; other failures (access, network) are not ours to rename.
      if (cause instanceof Error && cause.name === 'TransformParameterError') {
        throw new AppSecretInvalidError(this.secretId);
      }
      throw cause;
    }
    const parsed = appSecretSchema.safeParse(value);
    if (!parsed.success) throw new AppSecretInvalidError(this.secretId);
    return parsed.data;
  }
}
