import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AwsCall, decodeAwsCall, type IamRequest, type ResourceDirectory } from './aws-requests';
import type { Decision, RoleEvaluator, RoleIdentity } from './role-evaluator';

/** Whose calls these are: a function under test, or the test itself acting with a function's role to probe it. */
export type CallerKind = 'function' | 'probe';

export interface CheckedRequest extends IamRequest {
  readonly decision: Decision;
}

/** One AWS call that went through the proxy, and what became of it. */
export interface CallRecord {
  readonly caller: string;
  readonly kind: CallerKind | 'unknown';
  readonly service: string;
  readonly operation: string;
  readonly requests: readonly CheckedRequest[];
  /** `denied`: answered AccessDenied like AWS; `fault`: an error the test injected; `forwarded`: moto answered. */
  readonly outcome: 'forwarded' | 'denied' | 'fault';
  /** Why it was denied, when it was. */
  readonly reason?: string;
  status?: number;
  /** The error code moto answered with (e.g. `ConditionalCheckFailedException`), when it refused the call. */
  error?: string;
  /** From the request's arrival to moto's last byte (evaluation included). */
  durationMs?: number;
}

interface Caller {
  readonly identity: RoleIdentity;
  readonly kind: CallerKind;
}

interface Fault {
  readonly caller: string;
  readonly operation: string;
  remaining: number;
}

const JSON_ERROR_TYPES: Readonly<Record<string, string>> = { sqs: 'com.amazonaws.sqs#AccessDenied' };

/** A request's whole body. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The error code of an AWS error answer: JSON's `__type` (after any `#`) or the query protocol's `<Code>`. */
function errorCode(text: string): string {
  const type = /"__type"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'unknown';
  return type.split('#').pop() ?? type;
}

/** An error answer in the call's protocol, as AWS words it. */
function answerError(
  response: ServerResponse,
  call: AwsCall,
  contentType: string | undefined,
  error: { status: number; code: string; message: string },
): void {
  const requestId = randomUUID();
  if (call.protocol === 'query') {
    response.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    response.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${error.message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return;
  }
  response.writeHead(error.status, {
    'content-type': contentType ?? 'application/x-amz-json-1.1',
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': error.code,
    ...(call.service === 'sqs' ? { 'x-amzn-query-error': `${error.code};Sender` } : {}),
  });
  response.end(JSON.stringify({ __type: JSON_ERROR_TYPES[call.service] ?? error.code, message: error.message }));
}

/**
 * A recording proxy in front of moto: every SDK call of every function comes here (their `AWS_ENDPOINT_URL`), is
 * read (service, API, resources, condition keys), and is checked against the calling function's role, known by the
 * access key id it signed with. A call the role does not allow is answered as AWS would (AccessDenied) and recorded;
 * an allowed one goes on to moto unchanged. The test's own set-up key goes straight through.
 */
export class IamProxy {
  readonly calls: CallRecord[] = [];
  private readonly callers = new Map<string, Caller>();
  private readonly faults: Fault[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: {
    motoUrl: string;
    directory: ResourceDirectory;
    evaluator: RoleEvaluator;
    setupAccessKeyId: string;
  }): Promise<IamProxy> {
    const moto = new URL(options.motoUrl);
    let proxy: IamProxy | undefined;
    const server = createServer((request, response) => {
      void (async () => {
        const body = await readBody(request);
        if (!proxy) throw new Error('the proxy is not started');
        await proxy.handle(request, response, body, moto, options);
      })().catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`the IAM proxy failed: ${error instanceof Error ? error.stack : String(error)}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy = new IamProxy(server, `http://127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Calls signed with `accessKeyId` are checked against `identity`'s role. */
  register(accessKeyId: string, identity: RoleIdentity, kind: CallerKind): void {
    this.callers.set(accessKeyId, { identity, kind });
  }

  /** The next `times` calls of `operation` by `caller` fail with a 500, as a service having a bad minute would. */
  failNext(caller: string, operation: string, times: number): void {
    this.faults.push({ caller, operation, remaining: times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Calls the functions made that their role did not allow (or that the proxy could not read). */
  deniedFunctionCalls(): CallRecord[] {
    return this.calls.filter((call) => call.kind !== 'probe' && call.outcome === 'denied');
  }

  /**
   * What each function was checked for, as `action resource` with the resource named by `label`, e.g.
   * `{ Webhooks: ['dynamodb:PutItem GrantsTable3EFD9DAF', ...] }`.
   */
  checksByFunction(label: (arn: string) => string = (arn) => arn): Record<string, string[]> {
    const checks: Record<string, Set<string>> = {};
    for (const call of this.calls.filter((candidate) => candidate.kind === 'function')) {
      checks[call.caller] ??= new Set();
      for (const checked of call.requests) checks[call.caller]?.add(`${checked.action} ${label(checked.resource)}`);
    }
    return Object.fromEntries(Object.entries(checks).map(([name, set]) => [name, [...set].sort()]));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    moto: URL,
    options: { directory: ResourceDirectory; evaluator: RoleEvaluator; setupAccessKeyId: string },
  ): Promise<void> {
    const arrived = Date.now();
    const call = decodeAwsCall(request.headers, body, options.directory);
    if (call.accessKeyId === options.setupAccessKeyId) {
      await this.forward(request, response, body, moto);
      return;
    }
    const contentType = request.headers['content-type'];
    const caller = this.callers.get(call.accessKeyId);
    if (!caller) {
      this.calls.push({ ...this.summary(call, 'unknown', 'unknown', []), outcome: 'denied', reason: 'unknown caller' });
      return answerError(response, call, contentType, {
        status: 403,
        code: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      });
    }
    const { identity, kind } = caller;
    const requests: CheckedRequest[] = await Promise.all(
      call.requests.map(async (iamRequest) => ({
        ...iamRequest,
        decision: await options.evaluator.evaluate(identity, iamRequest),
      })),
    );
    const refused = requests.find((checked) => checked.decision.result !== 'Allowed');
    if (call.undecodable || refused || requests.length === 0) {
      const reason = call.undecodable
        ? `the proxy could not tell what ${call.service}:${call.operation} touches (${call.undecodable})`
        : refused
          ? `${refused.decision.result} by ${refused.decision.evaluator}: ${refused.action} on ${refused.resource} with ${JSON.stringify(refused.context)}${refused.decision.notes.length ? ` (${refused.decision.notes.join('; ')})` : ''}`
          : `${call.service}:${call.operation} asked for no authorization the proxy knows`;
      this.calls.push({ ...this.summary(call, identity.name, kind, requests), outcome: 'denied', reason });
      const action = refused?.action ?? `${call.service}:${call.operation}`;
      return answerError(response, call, contentType, {
        status: call.protocol === 'query' ? 403 : 400,
        code: call.protocol === 'query' ? 'AuthorizationError' : 'AccessDeniedException',
        message: `User: ${identity.principal} is not authorized to perform: ${action} on resource: ${refused?.resource ?? '*'} because no identity-based policy allows the ${action} action`,
      });
    }
    const fault = this.faults.find(
      (candidate) =>
        candidate.caller === identity.name && candidate.operation === call.operation && candidate.remaining > 0,
    );
    if (fault) {
      fault.remaining--;
      this.calls.push({ ...this.summary(call, identity.name, kind, requests), outcome: 'fault', status: 500 });
      return answerError(response, call, contentType, {
        status: 500,
        code: 'InternalException',
        message: 'injected by the test: the service had a bad minute',
      });
    }
    const record: CallRecord = { ...this.summary(call, identity.name, kind, requests), outcome: 'forwarded' };
    this.calls.push(record);
    const answer = await this.forward(request, response, body, moto);
    record.status = answer.status;
    record.error = answer.error;
    record.durationMs = Date.now() - arrived;
  }

  private summary(call: AwsCall, caller: string, kind: CallRecord['kind'], requests: readonly CheckedRequest[]) {
    return { caller, kind, service: call.service, operation: call.operation, requests };
  }

  /**
   * Sends the request on to moto unchanged (the Host header too: moto writes queue URLs with it) and its answer back;
   * resolves with the status and, for an error, AWS's error code.
   */
  private forward(
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    moto: URL,
  ): Promise<{ status: number; error?: string }> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: moto.hostname,
          port: moto.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent: false,
        },
        (answer) => {
          const status = answer.statusCode ?? 502;
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(chunks);
            response.writeHead(status, answer.headers);
            response.end(text);
            resolve(status < 400 ? { status } : { status, error: errorCode(text.toString('utf8')) });
          });
        },
      );
      // A moto that stops answering fails the call (and the test) instead of hanging it.
      upstream.setTimeout(15_000, () => upstream.destroy(new Error(`moto did not answer ${request.url} in 15 s`)));
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
