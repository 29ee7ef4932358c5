/**
 * The AWS SDK's default credential chain as a function needs it: Lambda hands a function its role's credentials in
 * the environment. Every bundle uses this module in place of `@aws-sdk/credential-provider-node` (an esbuild alias:
 * see `handlerBundling`). That chain's SSO, shared-file, process, web-identity, container and instance-metadata
 * providers, with the STS, SSO and sign-in clients they carry, never run in a function, and were a fifth of every
 * bundle.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/** The same name and signature as the SDK's, so the alias is all it takes. */
export function defaultProvider(init: FromEnvInit = {}): AwsCredentialIdentityProvider {
  return fromEnv(init);
}
