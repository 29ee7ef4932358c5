import * as z from 'zod';
import { GRANT_STATUSES } from '../lambdas/domain/model';
import { localTarget, stackTarget, type Target, TargetError } from './targets';

/** What the CLI writes to, and what it may be handed in tests. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
  readonly resolveStack?: (stackName: string, region?: string) => Promise<Target>;
}

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const USAGE = `Usage: npm run ops -- [target] [--json] <command> [arguments]

Targets (default: --local http://127.0.0.1:3000, or the stack named by OPS_STACK):
  --local [url]             local mode (npm start)
  --stack <name>            a deployed stack, from its outputs; requests signed with your AWS credentials
  --region <region>         the stack's region (default: your AWS configuration's)

Commands:
  sellers [--status ACTIVE|REAUTH_REQUIRED|REVOKED]   list sellers
  seller <openId>                                      show one seller and its shops
  refresh <openId>                                     refresh a seller's tokens now
  disconnect <openId>                                  delete a seller's tokens and revoke it
  link <accountId> [--return-to <path>] [--seller <openId>] [--market ROW|US]
                                                       create an authorization link for an account, on
                                                       --market's authorize page, else the seller's market's
                                                       (a renewal), else the deployment's market's
  exchange <authCode> --account <accountId>            exchange a development shop's auth code by hand
  help                                                 this text

Exit codes: 0 done, 1 the service refused (its error code is printed), 2 wrong usage, 3 target unreachable.`;

class UsageError extends Error {}

interface Parsed {
  readonly command: string;
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

const FLAGS_WITH_VALUES = new Set([
  '--stack',
  '--region',
  '--status',
  '--return-to',
  '--account',
  '--seller',
  '--market',
]);

function parse(argv: readonly string[]): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--local') {
      const next = argv[i + 1];
      flags.set('--local', next?.startsWith('http') ? next : true);
      if (next?.startsWith('http')) i++;
    } else if (FLAGS_WITH_VALUES.has(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      flags.set(arg, value);
    } else if (arg === '--json') {
      flags.set(arg, true);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const [command = 'help', ...rest] = positional;
  return { command, positional: rest, flags };
}

const flag = (parsed: Parsed, name: string) => {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
};

function argument(parsed: Parsed, index: number, name: string): string {
  const value = parsed.positional[index];
  if (!value) throw new UsageError(`${parsed.command} needs <${name}>`);
  return value;
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A refusal from the service: its stable code and message. */
class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call(target: Target, io: CliIo, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = new URL(`${target.baseUrl}${path}`);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = {
    ...(text ? { 'content-type': 'application/json' } : {}),
    ...(await target.sign({ method, url, body: text })),
  };
  let response: Response;
  try {
    response = await (io.fetch ?? fetch)(url, { method, headers, body: text, signal: AbortSignal.timeout(30_000) });
  } catch (cause) {
    throw new TargetError(`${target.describe} did not answer (${cause instanceof Error ? cause.message : 'unknown'})`, {
      cause,
    });
  }
  const raw = await response.text();
  const json: unknown = raw ? safeJson(raw) : undefined;
  if (!response.ok) {
    const parsed = errorBody.safeParse(json);
    if (parsed.success) throw new RefusedError(response.status, parsed.data.error.code, parsed.data.error.message);
    throw new RefusedError(response.status, `HTTP_${response.status}`, raw.slice(0, 200) || response.statusText);
  }
  return json;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const sellerSummary = z.object({
  openId: z.string(),
  sellerName: z.string(),
  status: z.string(),
  accountId: z.string().optional(),
  accessTokenExpiresAt: z.string(),
  authorizationExpiresAt: z.string(),
});
const sellerList = z.object({ sellers: z.array(sellerSummary), cursor: z.string().optional() });
const sellerView = sellerSummary.extend({
  scopes: z.array(z.string()),
  shops: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      region: z.string(),
      sellerType: z.string(),
      code: z.string(),
      status: z.string(),
    }),
  ),
});

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.command === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  const asJson = parsed.flags.has('--json');
  const print = (value: unknown, human: () => string[]) => {
    for (const line of asJson ? [JSON.stringify(value, null, 2)] : human()) io.out(line);
  };

  try {
    const stack = flag(parsed, '--stack') ?? (parsed.flags.has('--local') ? undefined : io.env.OPS_STACK);
    const local = parsed.flags.get('--local');
    const target = stack
      ? await (io.resolveStack ?? ((name, region) => stackTarget(name, { region })))(stack, flag(parsed, '--region'))
      : localTarget(typeof local === 'string' ? local : (io.env.OPS_LOCAL_URL ?? 'http://127.0.0.1:3000'));

    switch (parsed.command) {
      case 'sellers': {
        const status = flag(parsed, '--status');
        if (status !== undefined && !GRANT_STATUSES.some((known) => known === status)) {
          throw new UsageError(`--status must be one of ${GRANT_STATUSES.join(', ')}`);
        }
        const sellers: z.infer<typeof sellerSummary>[] = [];
        let cursor: string | undefined;
        do {
          const query = new URLSearchParams({
            limit: '100',
            ...(status ? { status } : {}),
            ...(cursor ? { cursor } : {}),
          });
          const page = sellerList.parse(await call(target, io, 'GET', `/sellers?${query}`));
          sellers.push(...page.sellers);
          cursor = page.cursor;
        } while (cursor);
        print(sellers, () =>
          sellers.length === 0
            ? ['no sellers']
            : table([
                ['OPEN ID', 'SELLER', 'STATUS', 'ACCOUNT', 'TOKEN EXPIRES', 'AUTHORIZATION ENDS'],
                ...sellers.map((s) => [
                  s.openId,
                  s.sellerName,
                  s.status,
                  s.accountId ?? '-',
                  s.accessTokenExpiresAt,
                  s.authorizationExpiresAt,
                ]),
              ]),
        );
        return EXIT.ok;
      }
      case 'seller': {
        const seller = sellerView.parse(
          await call(target, io, 'GET', `/sellers/${encodeURIComponent(argument(parsed, 0, 'openId'))}`),
        );
        print(seller, () => [
          `${seller.sellerName} (${seller.openId}): ${seller.status}`,
          `account: ${seller.accountId ?? '-'}`,
          `access token expires: ${seller.accessTokenExpiresAt}`,
          `authorization ends:   ${seller.authorizationExpiresAt}`,
          `scopes: ${seller.scopes.join(', ')}`,
          '',
          ...table([
            ['SHOP ID', 'NAME', 'REGION', 'TYPE', 'CODE', 'STATUS'],
            ...seller.shops.map((s) => [s.id, s.name, s.region, s.sellerType, s.code, s.status]),
          ]),
        ]);
        return EXIT.ok;
      }
      case 'refresh': {
        const openId = argument(parsed, 0, 'openId');
        const result = z
          .object({
            openId: z.string(),
            accessTokenExpiresAt: z.string(),
            authorizationExpiresAt: z.string(),
            refreshed: z.boolean(),
          })
          .parse(await call(target, io, 'POST', `/sellers/${encodeURIComponent(openId)}/refresh`));
        print(result, () => [
          `refreshed ${result.openId}: the access token now expires ${result.accessTokenExpiresAt}`,
        ]);
        return EXIT.ok;
      }
      case 'disconnect': {
        const openId = argument(parsed, 0, 'openId');
        await call(target, io, 'DELETE', `/sellers/${encodeURIComponent(openId)}`);
        print({ openId, status: 'REVOKED' }, () => [`disconnected ${openId}: its tokens are deleted`]);
        return EXIT.ok;
      }
      case 'link': {
        const returnTo = flag(parsed, '--return-to');
        const openId = flag(parsed, '--seller');
        const market = flag(parsed, '--market');
        if (market !== undefined && market !== 'ROW' && market !== 'US') throw new UsageError('--market is ROW or US');
        const link = z.object({ url: z.string(), expiresAt: z.string() }).parse(
          await call(target, io, 'POST', '/authorization-links', {
            accountId: argument(parsed, 0, 'accountId'),
            ...(returnTo ? { returnTo } : {}),
            ...(openId ? { openId } : {}),
            ...(market ? { market } : {}),
          }),
        );
        print(link, () => [link.url, `valid once, until ${link.expiresAt}`]);
        return EXIT.ok;
      }
      case 'exchange': {
        const accountId = flag(parsed, '--account');
        if (!accountId) throw new UsageError('exchange needs --account <accountId>');
        const result = z
          .object({ openId: z.string(), accountId: z.string().optional(), reauthorization: z.boolean().optional() })
          .parse(
            await call(target, io, 'POST', '/authorizations/exchange', {
              code: argument(parsed, 0, 'authCode'),
              accountId,
            }),
          );
        print(result, () => [`connected ${result.openId} to account ${result.accountId ?? accountId}`]);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command ${parsed.command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof RefusedError) {
      io.err(`error ${error.code} (HTTP ${error.status}): ${error.message}`);
      return EXIT.refused;
    }
    if (error instanceof TargetError) {
      io.err(error.message);
      return EXIT.unreachable;
    }
    if (error instanceof z.ZodError) {
      io.err(
        `the service answered something this CLI does not understand (${error.issues.map((issue) => issue.path.join('.')).join(', ')})`,
      );
      return EXIT.refused;
    }
    throw error;
  }
}
