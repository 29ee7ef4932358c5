/**
 * The AWS SDK's default credential chain as a function needs it. Lambda hands a function its role's credentials in
 * the environment (and a container endpoint where it runs functions in containers), so every bundle uses this module
 * in place of `@aws-sdk/credential-provider-node` (an esbuild alias: see `HANDLER_BUNDLING`). That chain's SSO,
 * shared-file, process, web-identity and instance-metadata providers, with the STS, SSO and sign-in clients they
 * carry, never run in a function, and were a fifth of every bundle.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';
import { type FromHttpOptions, fromHttp } from '@aws-sdk/credential-provider-http';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** The same name and signature as the SDK's, so the alias is all it takes. */
export function defaultProvider(init: FromEnvInit & FromHttpOptions = {}): AwsCredentialIdentityProvider {
  const fromRole = fromEnv(init);
  // Built when asked: `fromHttp` refuses at once where no container endpoint is set.
  return async (options) => (process.env.AWS_ACCESS_KEY_ID ? fromRole(options) : fromHttp(init)(options));
}
