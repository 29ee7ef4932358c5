import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { TikTokShopAuthClient, type TikTokShopAuthClientOptions } from '../client';

/** Where the CLI sends its requests. */
export interface Target {
  readonly baseUrl: string;
  /** For messages: `local mode at <url>`, `stack <name> (<region>)`. */
  readonly describe: string;
  /** A deployed stack's region: requests are signed with SigV4 for it. Absent in local mode (unsigned). */
  readonly region?: string;
}

/** The CLI cannot resolve its target: a configuration problem, not an API refusal. */
export class TargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

export function localTarget(baseUrl: string): Target {
  return { baseUrl: baseUrl.replace(/\/+$/, ''), describe: `local mode at ${baseUrl}` };
}

/**
 * A deployed stack: the internal API's URL from the stack's `InternalApiUrl` output; the client signs requests for
 * `execute-api` in the stack's region with the credentials the AWS SDK finds (environment, profile, SSO, role).
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
  return { baseUrl: baseUrl.replace(/\/+$/, ''), describe: `stack ${stackName} (${region})`, region };
}

/** The client for a target: signed for a stack, unsigned for local mode. */
export function clientFor(
  target: Target,
  options: Omit<TikTokShopAuthClientOptions, 'baseUrl' | 'signing' | 'region'> = {},
): TikTokShopAuthClient {
  return new TikTokShopAuthClient({
    ...options,
    baseUrl: target.baseUrl,
    ...(target.region ? { signing: 'sigv4', region: target.region } : { signing: 'none' }),
  });
}
