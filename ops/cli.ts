import { parseArgs } from 'node:util';
import {
  GRANT_STATUSES,
  type GrantStatus,
  MARKETS,
  type Market,
  type SellerSummary,
  ServiceUnreachableError,
  type TikTokShopAuthClient,
  TikTokShopAuthError,
  UnexpectedResponseError,
} from '../client';
import { clientFor, localTarget, stackTarget, type Target, TargetError } from './targets';
import { colourAllowed, type Paint, painter, table } from './terminal';

/** What the CLI writes to and reads, and what tests may hand it. */
export interface CliIo {
  /** A line to stdout: the command's result. */
  readonly out: (line: string) => void;
  /** A line to stderr: usage, refusals, diagnostics. */
  readonly err: (line: string) => void;
  /** Text to stderr as is (no newline): the progress line, rewritten in place. @default nothing is shown */
  readonly progress?: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Colour on stdout only when it is a terminal. @default false */
  readonly stdoutIsTty?: boolean;
  /** Colour and progress on stderr only when it is a terminal. @default false */
  readonly stderrIsTty?: boolean;
  readonly fetch?: typeof fetch;
  readonly resolveStack?: (stackName: string, region?: string) => Promise<Target>;
}

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const PROGRAM = 'tiktok-shop-auth';
const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** How the value reads in help, e.g. `<path>`. */
  readonly value?: string;
  readonly description: string;
  /** Shown without brackets in the synopsis; checked before the command runs. */
  readonly required?: boolean;
}

const TARGET_OPTIONS = {
  local: {
    type: 'string',
    value: '[url]',
    description: `local mode, npm start (default ${DEFAULT_LOCAL_URL}, or OPS_LOCAL_URL)`,
  },
  stack: {
    type: 'string',
    value: '<name>',
    description: 'a deployed stack, found by its outputs; requests signed with your AWS credentials (or OPS_STACK)',
  },
  region: { type: 'string', value: '<region>', description: "the stack's region (default: your AWS configuration's)" },
} as const satisfies Record<string, OptionSpec>;

const OUTPUT_OPTIONS = {
  json: { type: 'boolean', description: 'JSON on stdout, errors too: {"error": {"code", "message", "status"?}}' },
  help: { type: 'boolean', short: 'h', description: "this help, or a command's (also: help <command>)" },
} as const satisfies Record<string, OptionSpec>;

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = { ...TARGET_OPTIONS, ...OUTPUT_OPTIONS };

/** What a command runs with. */
interface Context {
  readonly client: TikTokShopAuthClient;
  readonly args: readonly string[];
  option(name: string): string | undefined;
  print(value: unknown, human: () => string[]): void;
  readonly paint: Paint;
  /** Set when stderr is a terminal: shows how far a long listing is. */
  readonly progress?: (text: string) => void;
}

interface Command {
  readonly summary: string;
  /** More than the summary, for `help <command>`. */
  readonly details?: string;
  readonly arguments: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(context: Context): Promise<void>;
}

class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show with the message; the CLI's when absent. */
    readonly command?: string,
  ) {
    super(message);
  }
}

const statusStyle: Record<string, Parameters<Paint>[0]> = {
  ACTIVE: 'green',
  REAUTH_REQUIRED: 'yellow',
  REVOKED: 'red',
};
const paintStatus = (paint: Paint, status: string) => {
  const style = statusStyle[status];
  return style ? paint(style, status) : status;
};

const COMMANDS: Readonly<Record<string, Command>> = {
  sellers: {
    summary: 'list sellers',
    details:
      'Lists every seller (of a status), 100 a page; while pages come in, their count shows on stderr when it is a terminal.',
    arguments: [],
    options: {
      status: { type: 'string', value: GRANT_STATUSES.join('|'), description: 'only the sellers of this status' },
    },
    async run({ client, option, print, paint, progress }) {
      const status = option('status');
      if (status !== undefined && !isGrantStatus(status)) {
        throw new UsageError(`--status must be one of ${GRANT_STATUSES.join(', ')}`, 'sellers');
      }
      const sellers: SellerSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listSellersPage({ status, cursor, limit: 100 });
        sellers.push(...page.sellers);
        cursor = page.cursor;
        progress?.(`\rsellers: ${sellers.length}${cursor ? '…' : ''}`);
      } while (cursor);
      progress?.('\r\u001b[2K');
      print(sellers, () =>
        sellers.length === 0
          ? ['no sellers']
          : table(
              [
                ['OPEN ID', 'SELLER', 'STATUS', 'ACCOUNT', 'TOKEN EXPIRES', 'AUTHORIZATION ENDS'],
                ...sellers.map((s) => [
                  s.openId,
                  s.sellerName,
                  s.status,
                  s.accountId ?? '-',
                  s.accessTokenExpiresAt.toISOString(),
                  s.authorizationExpiresAt.toISOString(),
                ]),
              ],
              (cell, column, row) => (row === 0 ? paint('bold', cell) : column === 2 ? paintStatus(paint, cell) : cell),
            ),
      );
    },
  },
  seller: {
    summary: 'show one seller and its shops',
    details: 'Shows a seller: status, account, when its access token expires and its authorization ends, its shops.',
    arguments: ['openId'],
    options: {},
    async run({ client, args: [openId = ''], print, paint }) {
      const seller = await client.getSeller(openId);
      print(seller, () => [
        `${paint('bold', seller.sellerName)} (${seller.openId}): ${paintStatus(paint, seller.status)}`,
        `account: ${seller.accountId ?? '-'}`,
        `access token expires: ${seller.accessTokenExpiresAt.toISOString()}`,
        `authorization ends:   ${seller.authorizationExpiresAt.toISOString()}`,
        `scopes: ${seller.scopes.join(', ')}`,
        '',
        ...table(
          [
            ['SHOP ID', 'NAME', 'REGION', 'TYPE', 'CODE', 'STATUS'],
            ...seller.shops.map((s) => [s.id, s.name, s.region, s.sellerType, s.code, s.status]),
          ],
          (cell, column, row) => (row === 0 ? paint('bold', cell) : column === 5 ? paintStatus(paint, cell) : cell),
        ),
      ]);
    },
  },
  refresh: {
    summary: "refresh a seller's tokens now",
    details: "Refreshes a seller's tokens now, whatever their expiry, under the same lease as every other refresh.",
    arguments: ['openId'],
    options: {},
    async run({ client, args: [openId = ''], print }) {
      const result = await client.refreshSeller(openId);
      print(result, () => [
        `refreshed ${result.openId}: the access token now expires ${result.accessTokenExpiresAt.toISOString()}`,
      ]);
    },
  },
  disconnect: {
    summary: "delete a seller's tokens and revoke it",
    details: "Deletes a seller's tokens and marks it and its shops REVOKED; the bus gets `Seller Disconnected`.",
    arguments: ['openId'],
    options: {},
    async run({ client, args: [openId = ''], print }) {
      await client.disconnectSeller(openId);
      print({ openId, status: 'REVOKED' }, () => [`disconnected ${openId}: its tokens are deleted`]);
    },
  },
  link: {
    summary: 'create an authorization link for an account',
    details:
      "Creates a one-hour, one-use link to TikTok's authorize page for an account: on --market's page, else the " +
      "seller's market's (a renewal, with --seller), else the deployment's market's.",
    arguments: ['accountId'],
    options: {
      'return-to': { type: 'string', value: '<path>', description: 'where the seller lands in the app afterwards' },
      seller: { type: 'string', value: '<openId>', description: 'bind the link to this seller (a renewal)' },
      market: { type: 'string', value: MARKETS.join('|'), description: 'which authorize page the link opens' },
    },
    async run({ client, args: [accountId = ''], option, print }) {
      const market = option('market');
      if (market !== undefined && !isMarket(market)) throw new UsageError('--market is ROW or US', 'link');
      const link = await client.createAuthorizationLink({
        accountId,
        returnTo: option('return-to'),
        openId: option('seller'),
        market,
      });
      print(link, () => [link.url, `valid once, until ${link.expiresAt.toISOString()}`]);
    },
  },
  exchange: {
    summary: "exchange a development shop's auth code by hand",
    details:
      'Development shops skip the authorization link and land on the Redirect URL with a code and no state; ' +
      'Partner Center can also show a code. This trades such a code for tokens and binds the seller to the account.',
    arguments: ['authCode'],
    options: {
      account: {
        type: 'string',
        value: '<accountId>',
        description: 'the account to bind the seller to',
        required: true,
      },
    },
    async run({ client, args: [code = ''], option, print }) {
      const accountId = option('account') ?? '';
      const result = await client.exchangeAuthorizationCode({ code, accountId });
      print(result, () => [`connected ${result.openId} to account ${result.accountId}`]);
    },
  },
};

const isGrantStatus = (value: string): value is GrantStatus => GRANT_STATUSES.some((status) => status === value);
const isMarket = (value: string): value is Market => MARKETS.some((market) => market === value);

const optionUsage = (name: string, spec: OptionSpec) => {
  const text = `--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
  return spec.required ? text : `[${text}]`;
};

/** A command's synopsis: every option, or (`brief`) the required ones and `[options]`. */
function synopsis(name: string, brief = false): string {
  const command = COMMANDS[name];
  if (!command) return name;
  const options = Object.entries(command.options);
  const shown = brief ? options.filter(([, spec]) => spec.required) : options;
  return [
    name,
    ...command.arguments.map((argument) => `<${argument}>`),
    ...shown.map(([option, spec]) => optionUsage(option, spec)),
    ...(shown.length < options.length ? ['[options]'] : []),
  ].join(' ');
}

/** Text broken into lines of at most `width` characters, at spaces. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => [
    `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`,
    spec.description,
  ]);
  return table(rows);
}

function usage(): string {
  const commands = table([
    ...Object.entries(COMMANDS).map(([name, command]) => [`  ${synopsis(name, true)}`, command.summary]),
    ['  help [command]', "this text, or a command's"],
  ]);
  return [
    `Usage: ${PROGRAM} [target] [--json] <command> [arguments]`,
    '',
    'Commands:',
    ...commands,
    '',
    `Targets (default: --local ${DEFAULT_LOCAL_URL}, or the stack named by OPS_STACK):`,
    ...optionLines(TARGET_OPTIONS),
    '',
    'Options:',
    ...optionLines(OUTPUT_OPTIONS),
    '',
    'Exit codes: 0 done, 1 the service refused (its error code is printed), 2 wrong usage, 3 target unreachable.',
    `Run it as \`npx ${PROGRAM} ...\`, or in its repository \`npm run --silent ops -- ...\`: stdout then holds only`,
    'the result, for `| jq`; colour only on a terminal and never with NO_COLOR.',
  ].join('\n');
}

function commandUsage(name: string): string {
  const command = COMMANDS[name];
  if (!command) return usage();
  return [
    `Usage: ${PROGRAM} [target] [--json] ${synopsis(name)}`,
    '',
    ...wrap(command.details ?? command.summary),
    ...(Object.keys(command.options).length > 0 ? ['', 'Options:', ...optionLines(command.options)] : []),
    '',
    `Targets, --json and exit codes: ${PROGRAM} help`,
  ].join('\n');
}

interface Parsed {
  readonly command?: string;
  readonly args: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** The options given, by name, as typed (`--stack`, `-h`). */
  readonly given: ReadonlyMap<string, string>;
}

/**
 * `node:util`'s parseArgs, with its messages made the CLI's own: `--name value` and `--name=value` both work, an
 * option may come anywhere, `--` ends them. `--local` takes its URL only when one follows.
 */
function parse(argv: readonly string[]): Parsed {
  const args = argv.flatMap((arg, index) =>
    arg === '--local' && !/^https?:\/\//.test(argv[index + 1] ?? '') ? ['--local='] : [arg],
  );
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of Object.values(COMMANDS)) Object.assign(options, command.options);
  const { values, positionals, tokens } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(options).map(([name, spec]) => [
        name,
        spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
      ]),
    ),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const given = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
    if (spec.type === 'string' && token.name !== 'local') {
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
        throw new UsageError(`${token.rawName} needs a value`);
      }
    }
    given.set(token.name, token.rawName);
  }
  const [command, ...rest] = positionals;
  return { command, args: rest, values, given };
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const asJson = argv.includes('--json');
  const errPaint = painter(colourAllowed(io.stderrIsTty === true, io.env));
  const fail = (code: string, message: string, human: string, status?: number) => {
    if (asJson)
      io.out(JSON.stringify({ error: { code, message, ...(status === undefined ? {} : { status }) } }, null, 2));
    if (!asJson || code === 'USAGE') io.err(human);
  };

  try {
    const parsed = parse(argv);
    const { command, args, values } = parsed;
    if (command === undefined || command === 'help') {
      const topic = command === 'help' ? args[0] : undefined;
      if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`unknown command ${topic}`);
      io.out(topic ? commandUsage(topic) : usage());
      return EXIT.ok;
    }
    const spec = COMMANDS[command];
    if (!spec) throw new UsageError(`unknown command ${command}`);
    if (values.help === true) {
      io.out(commandUsage(command));
      return EXIT.ok;
    }
    checkUsage(command, spec, parsed);

    const option = (name: string) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    };
    const target = await resolveTarget(option, io);
    const outPaint = painter(!asJson && colourAllowed(io.stdoutIsTty === true, io.env));
    await spec
      .run({
        client: clientFor(target, { fetch: io.fetch }),
        args,
        option,
        paint: outPaint,
        progress: io.stderrIsTty ? io.progress : undefined,
        print: (value, human) => {
          for (const line of asJson ? [JSON.stringify(value, null, 2)] : human()) io.out(line);
        },
      })
      .catch((error: unknown) => {
        if (error instanceof ServiceUnreachableError) {
          throw new TargetError(`${target.describe} did not answer (${error.reason})`, { cause: error });
        }
        throw error;
      });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      fail('USAGE', error.message, `${error.message}\n\n${error.command ? commandUsage(error.command) : usage()}`);
      return EXIT.usage;
    }
    if (error instanceof TikTokShopAuthError) {
      fail(
        error.code,
        error.message,
        `${errPaint('red', 'error')} ${error.code} (HTTP ${error.status}): ${error.message}`,
        error.status,
      );
      return EXIT.refused;
    }
    if (error instanceof TargetError) {
      fail('UNREACHABLE', error.message, error.message);
      return EXIT.unreachable;
    }
    if (error instanceof UnexpectedResponseError) {
      const message = `the service answered something this CLI does not understand (${error.fields.join(', ') || 'not JSON'})`;
      fail('UNEXPECTED_RESPONSE', message, message, error.status);
      return EXIT.refused;
    }
    // The SDK's default chain found no AWS credentials to sign with: nothing was sent.
    if (error instanceof Error && error.name === 'CredentialsProviderError') {
      const message = `no AWS credentials to sign requests with (${error.message})`;
      fail('NO_CREDENTIALS', message, message);
      return EXIT.unreachable;
    }
    throw error;
  }
}

function checkUsage(name: string, command: Command, parsed: Parsed): void {
  for (const [option, raw] of parsed.given) {
    if (!GLOBAL_OPTIONS[option] && !command.options[option]) throw new UsageError(`${name} takes no ${raw}`, name);
  }
  for (const [index, argument] of command.arguments.entries()) {
    if (!parsed.args[index]) throw new UsageError(`${name} needs <${argument}>`, name);
  }
  const extra = parsed.args[command.arguments.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`, name);
  for (const [option, spec] of Object.entries(command.options)) {
    if (spec.required && typeof parsed.values[option] !== 'string') {
      throw new UsageError(`${name} needs ${optionUsage(option, spec)}`, name);
    }
  }
}

async function resolveTarget(option: (name: string) => string | undefined, io: CliIo): Promise<Target> {
  const local = option('local');
  const stack = option('stack') ?? (local === undefined ? io.env.OPS_STACK : undefined);
  if (stack) {
    const resolve = io.resolveStack ?? ((name, region) => stackTarget(name, { region }));
    return resolve(stack, option('region'));
  }
  return localTarget(local || io.env.OPS_LOCAL_URL || DEFAULT_LOCAL_URL);
}
