import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request about to be sent, as a signer sees it. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Returns the headers to send: the request's own plus whatever authenticates it. */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

/** AWS credentials, or a provider of them, as the SDK's signer takes them. */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface SigV4SignerOptions {
  readonly region: string;
  /**
   * The credentials to sign with.
   * @default the AWS SDK's default chain (`fromNodeProviderChain`): environment, SSO, profile, container or instance role
   */
  readonly credentials?: AwsCredentials;
  /** @default 'execute-api' */
  readonly service?: string;
}

/** Sends requests as they are: local mode needs no signature (it listens on loopback only). */
export const unsigned: RequestSigner = async (request) => ({ ...request.headers });

/**
 * Signs each request with AWS Signature Version 4, as the internal API's IAM authorizer requires. The credentials
 * provider is created once, so the SDK's own caching and refreshing of role credentials applies.
 */
export function sigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Sha256,
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    });
    // fetch sets Host itself, from the same URL.
    return Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
  };
}

/** The region in an `execute-api` URL (`https://abc123.execute-api.eu-west-1.amazonaws.com`). */
export function regionOfApiUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
}
