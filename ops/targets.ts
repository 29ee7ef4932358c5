import { Sha256 } from '@aws-crypto/sha256-js';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';

/** Where the CLI sends its requests, and how it signs them. */
export interface Target {
  readonly baseUrl: string;
  readonly describe: string;
  /** Headers to add to a request (SigV4 for a deployed stack; none locally). */
  sign(request: { method: string; url: URL; body?: string }): Promise<Record<string, string>>;
}

/** The CLI cannot reach or resolve its target: a configuration problem, not an API refusal. */
export class TargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

export function localTarget(baseUrl: string): Target {
  return { baseUrl: baseUrl.replace(/\/+$/, ''), describe: `local mode at ${baseUrl}`, sign: async () => ({}) };
}

/**
 * A deployed stack: the internal API's URL from the stack's `InternalApiUrl` output, requests signed with SigV4 for
 * `execute-api` with the credentials the AWS SDK finds (environment, profile, SSO, instance role).
 */
export async function stackTarget(
  stackName: string,
  options: { region?: string; cloudFormation?: CloudFormationClient } = {},
): Promise<Target> {
  const cloudFormation =
    options.cloudFormation ?? new CloudFormationClient(options.region ? { region: options.region } : {});
  let outputs: Array<{ OutputKey?: string; OutputValue?: string }>;
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (cause) {
    throw new TargetError(
      `the stack ${stackName} could not be read (${cause instanceof Error ? cause.message : 'unknown'})`,
      { cause },
    );
  }
  const baseUrl = outputs.find((output) => output.OutputKey === 'InternalApiUrl')?.OutputValue;
  if (!baseUrl)
    throw new TargetError(`the stack ${stackName} has no InternalApiUrl output: is it a tiktok-shop-auth stack?`);
  const region = options.region ?? (await cloudFormation.config.region());
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: fromNodeProviderChain(),
    sha256: Sha256,
  });
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    describe: `stack ${stackName} (${region})`,
    sign: async ({ method, url, body }) => {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
      return Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host'));
    },
  };
}
