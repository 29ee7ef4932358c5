import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { systemClock } from '../../../lambdas/shared/clock';
import { TikTokSandbox } from '../../../local/sandbox/tiktok-sandbox';
import { logicalIdsOf, REGION } from './cloudformation';
import { type Served, serveFunctionUrl, serveHttpApi, serveSandbox } from './http-edge';
import { IamProxy } from './iam-proxy';
import { LambdaProcess } from './lambda-process';
import { MotoDeployment, type SetupClients, setupClients } from './moto-deployment';
import { findOnPath, freePort, type MotoServer, MotoServerMissingError, startMotoServer } from './moto-server';
import { RoleEvaluator } from './role-evaluator';
import {
  type FunctionSpec,
  functionNamed,
  functionOfRoute,
  STACK_NAME,
  type SynthesizedStack,
  synthesizeStack,
} from './synthesized-stack';

/** The test's own key: the proxy lets its set-up and inspection calls through unchecked. */
export const SETUP_ACCESS_KEY = 'AKIASETUPDEPLOYEDTEST';
export const SERVICE_ID = '7300000000000000001';
export const SUCCESS_URL = 'https://app.example.com/tiktok/connected';
export const CLAIM_URL = 'https://app.example.com/tiktok/claim';

/** An event as EventBridge delivers it to the test's own queue. */
const deliveredEvent = z.object({
  id: z.string(),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.record(z.string(), z.unknown()),
});
export type DeliveredEvent = z.infer<typeof deliveredEvent>;

const batchResponse = z.object({ batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })) });

interface Parts {
  readonly stack: SynthesizedStack;
  readonly deployment: MotoDeployment;
  readonly proxy: IamProxy;
  readonly evaluator: RoleEvaluator;
  readonly clients: SetupClients;
  readonly sandbox: TikTokSandbox;
}

/** How long each part of the start took, in ms. */
export interface StartTimings {
  synthesis: number;
  motoAfterSynthesis: number;
  deployment: number;
  functions: number;
}

/**
 * The deployed composition on one machine: the real stack synthesized with its bundles, what its template declares
 * created in moto, every function's bundle in a process of its own with its template environment and a key naming
 * its role, every AWS call going through the IAM proxy, the HTTP API and the webhook's function URL routing as the
 * template says, and the TikTok Shop sandbox posting webhooks to the stack's `WebhookUrl` output. The test reads
 * what the functions did from moto: items, queue messages, and the events and reminders the test's own queues
 * receive from the bus and the reminder topic.
 */
export class DeployedWorld {
  /** Every event the bus delivered to the test's rule, oldest first. */
  readonly events: DeliveredEvent[] = [];
  /** Every message the reminder topic delivered to the test's subscription. */
  readonly reminders: string[] = [];
  readonly app = { app_key: 'deployed-test-app-key', app_secret: `app-secret-${randomBytes(12).toString('hex')}` };
  readonly timings: StartTimings = { synthesis: 0, motoAfterSynthesis: 0, deployment: 0, functions: 0 };
  apiUrl = '';
  /** The webhook function's URL, ending in `/`, as the template's `WebhookUrl` output names it. */
  functionUrl = '';
  /** What the operator pastes into Partner Center: the stack's `WebhookUrl` output, resolved. */
  webhookUrl = '';
  sandboxUrl = '';
  private parts?: Parts;
  private readonly processes = new Map<string, LambdaProcess>();
  private readonly probeKeys = new Map<string, string>();
  /** The event source mapping's SQS client: Lambda polls the queue with the function's own role. */
  private pollerSqs?: SQSClient;
  /** The receipt handle of each message handed to the worker, by message id. */
  private readonly receiptHandles = new Map<string, string>();
  private readonly servers: Served[] = [];
  private moto?: MotoServer;
  private motoStarting?: Promise<MotoServer>;
  private observationQueues = { events: '', reminders: '' };
  private readonly workDirectory = mkdtempSync(join(tmpdir(), 'deployed-composition-'));

  get stack(): SynthesizedStack {
    return this.started().stack;
  }
  get deployment(): MotoDeployment {
    return this.started().deployment;
  }
  get proxy(): IamProxy {
    return this.started().proxy;
  }
  /** The IAM evaluator the proxy uses, for checks of roles no function runs under (the schedules'). */
  get evaluator(): RoleEvaluator {
    return this.started().evaluator;
  }
  get clients(): SetupClients {
    return this.started().clients;
  }
  get sandbox(): TikTokSandbox {
    return this.started().sandbox;
  }

  async start(): Promise<void> {
    // Fails the suite at once when moto is missing: a skipped suite would hide it.
    if (!findOnPath('moto_server')) throw new MotoServerMissingError();
    // moto boots (a second or two of Python) while the stack synthesizes. The synth holds the event loop for its
    // whole length (over 30 s on a busy machine), so moto's wait runs from its start to well after it.
    const motoStarting = startMotoServer(await freePort(), 180_000);
    this.motoStarting = motoStarting;
    motoStarting.catch(() => undefined);

    const api = await serveHttpApi(
      () => this.parts?.stack.routes ?? [],
      (logicalId, event) => this.process(logicalId).invoke(event),
    );
    this.servers.push(api);
    this.apiUrl = api.url;
    const functionUrl = await serveFunctionUrl(
      () => this.parts?.stack.functionUrls[0]?.functionLogicalId,
      (logicalId, event) => this.process(logicalId).invoke(event),
    );
    this.servers.push(functionUrl);
    this.functionUrl = `${functionUrl.url}/`;
    const sandboxServer = await serveSandbox(() => this.sandbox);
    this.servers.push(sandboxServer);
    this.sandboxUrl = sandboxServer.url;

    let started = Date.now();
    const stack = synthesizeStack(join(this.workDirectory, 'cdk.out'), {
      serviceId: SERVICE_ID,
      successUrl: SUCCESS_URL,
      claimUrl: CLAIM_URL,
      authorizeUrlRow: `${this.sandboxUrl}/open/authorize`,
      authorizeUrlUs: `${this.sandboxUrl}/us/open/authorize`,
      tiktokAuthBaseUrl: this.sandboxUrl,
      tiktokApiBaseUrl: this.sandboxUrl,
    });
    this.timings.synthesis = Date.now() - started;

    started = Date.now();
    this.moto = await motoStarting;
    this.timings.motoAfterSynthesis = Date.now() - started;

    started = Date.now();
    const deployment = new MotoDeployment(stack.template, STACK_NAME);
    // CloudFormation's value for the template's one function URL: the server above.
    const [url, ...moreUrls] = stack.functionUrls;
    if (!url || moreUrls.length > 0) throw new Error('expected one function URL in the template (the webhook)');
    deployment.values.define(url.logicalId, {
      ref: url.logicalId,
      attributes: {
        FunctionUrl: this.functionUrl,
        FunctionArn: deployment.values.resolveString({ 'Fn::GetAtt': [url.functionLogicalId, 'Arn'] }),
      },
    });
    this.webhookUrl = deployment.values.resolveString(stack.template.Outputs.WebhookUrl?.Value);
    const evaluator = new RoleEvaluator(deployment.resourcePolicies);
    const proxy = await IamProxy.start({
      motoUrl: this.moto.url,
      directory: deployment,
      evaluator,
      setupAccessKeyId: SETUP_ACCESS_KEY,
    });
    const clients = setupClients(proxy.url, SETUP_ACCESS_KEY);
    const sandbox = new TikTokSandbox({
      appKey: this.app.app_key,
      appSecret: this.app.app_secret,
      serviceId: SERVICE_ID,
      redirectUrl: `${this.apiUrl}/oauth/callback`,
      // TikTok posts where Partner Center says: the stack's output, which is the function URL's.
      webhookUrl: this.webhookUrl,
      clock: systemClock,
    });
    this.parts = { stack, deployment, proxy, evaluator, clients, sandbox };
    const [secretId] = logicalIdsOf(stack.template, 'AWS::SecretsManager::Secret');
    if (!secretId) throw new Error('the template declares no app secret');
    // The operator fills the secret the stack created, as the README's deploy steps say.
    await deployment.deploy(clients, { [secretId]: JSON.stringify(this.app) });
    await this.observe();
    this.timings.deployment = Date.now() - started;

    started = Date.now();
    const noAwsConfig = join(this.workDirectory, 'no-aws-config');
    await Promise.all(
      this.stack.functions.map(async (spec, index) => {
        const code = `${String(index).padStart(2, '0')}${spec.name.toUpperCase()}`.replace(/[^A-Z0-9]/g, '');
        const accessKeyId = `AKIA${code}`.slice(0, 20);
        const probeKeyId = `AKIAPROBE${code}`.slice(0, 20);
        const identity = this.deployment.identityOf(spec);
        this.proxy.register(accessKeyId, identity, 'function');
        this.proxy.register(probeKeyId, identity, 'probe');
        this.probeKeys.set(spec.logicalId, probeKeyId);
        if (this.stack.queueTriggers.some((trigger) => trigger.functionLogicalId === spec.logicalId)) {
          const pollerKeyId = `AKIAPOLL${code}`.slice(0, 20);
          this.proxy.register(pollerKeyId, identity, 'function');
          this.pollerSqs = new SQSClient({
            endpoint: this.proxy.url,
            region: REGION,
            credentials: { accessKeyId: pollerKeyId, secretAccessKey: 'event-source-mapping' },
          });
        }
        const lambda = await LambdaProcess.start({
          spec,
          environment: this.deployment.environmentOf(spec),
          accessKeyId,
          awsEndpoint: this.proxy.url,
          noAwsConfig,
        });
        this.processes.set(spec.logicalId, lambda);
      }),
    );
    this.timings.functions = Date.now() - started;
    // Lambda reads the queue's attributes when the event source mapping is created, with the function's role.
    for (const trigger of this.stack.queueTriggers) {
      await this.poller().send(
        new GetQueueAttributesCommand({
          QueueUrl: this.deployment.values.physicalOf(trigger.queueLogicalId).ref,
          AttributeNames: ['All'],
        }),
      );
    }
  }

  private poller(): SQSClient {
    if (!this.pollerSqs) throw new Error('no function of the template is triggered by a queue');
    return this.pollerSqs;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.processes.values()].map((lambda) => lambda.stop()));
    await Promise.allSettled(this.servers.map((server) => server.stop()));
    await this.parts?.proxy.stop();
    const moto = this.moto ?? (await this.motoStarting?.catch(() => undefined));
    await moto?.stop();
    for (const client of Object.values(this.parts?.clients ?? {})) client.destroy();
    this.pollerSqs?.destroy();
    rmSync(this.workDirectory, { recursive: true, force: true });
  }

  private started(): Parts {
    if (!this.parts) throw new Error('the deployed world is not started');
    return this.parts;
  }

  /** The running function with this logical id. */
  process(logicalId: string): LambdaProcess {
    const lambda = this.processes.get(logicalId);
    if (!lambda) throw new Error(`no running function ${logicalId}`);
    return lambda;
  }

  /** The function the template's schedules invoke, by logical id prefix; fails if no schedule invokes it. */
  scheduled(logicalIdPrefix: string): FunctionSpec {
    const spec = functionNamed(this.stack, logicalIdPrefix);
    if (!this.stack.schedules.some((schedule) => schedule.functionLogicalId === spec.logicalId)) {
      throw new Error(`no schedule of the template invokes ${spec.logicalId}`);
    }
    return spec;
  }

  /** EventBridge Scheduler's invocation of a sweep (a target without input: an empty JSON object). */
  runSchedule(logicalIdPrefix: string): Promise<unknown> {
    return this.process(this.scheduled(logicalIdPrefix).logicalId).invoke({});
  }

  route(routeKey: string): FunctionSpec {
    return functionOfRoute(this.stack, routeKey);
  }

  /**
   * What Lambda's event source mapping does for the template's one SQS trigger, with the function's role as Lambda
   * does: receives a batch, invokes the function with it, and deletes the messages it did not report as failed.
   */
  async deliverQueue(): Promise<{ received: number; failures: string[] }> {
    const trigger = this.queueTrigger();
    const queue = this.deployment.values.physicalOf(trigger.queueLogicalId);
    const { Messages = [] } = await this.poller().send(
      new ReceiveMessageCommand({
        QueueUrl: queue.ref,
        MaxNumberOfMessages: Math.min(trigger.batchSize, 10),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return { received: 0, failures: [] };
    for (const message of Messages) this.receiptHandles.set(message.MessageId ?? '', message.ReceiptHandle ?? '');
    const event: SQSEvent = { Records: Messages.map((message) => sqsRecord(message, queue.attributes.Arn ?? '')) };
    const response = batchResponse.parse(await this.process(trigger.functionLogicalId).invoke(event));
    const failures = response.batchItemFailures.map((failure) => failure.itemIdentifier);
    const done = Messages.filter((message) => !failures.includes(message.MessageId ?? ''));
    if (done.length > 0) {
      await this.poller().send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.ref,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    return { received: Messages.length, failures };
  }

  /**
   * A message the worker handed back (with a delay it set) comes back now, as it would once the delay is over: the
   * functions read the system clock, so the delay is cut instead.
   */
  async endRetryDelay(messageId: string): Promise<void> {
    const handle = this.receiptHandles.get(messageId);
    if (!handle) throw new Error(`no message ${messageId} was delivered`);
    await this.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.deployment.values.physicalOf(this.queueTrigger().queueLogicalId).ref,
        ReceiptHandle: handle,
        VisibilityTimeout: 0,
      }),
    );
  }

  private queueTrigger(): SynthesizedStack['queueTriggers'][number] {
    const [trigger, ...more] = this.stack.queueTriggers;
    if (!trigger || more.length > 0) throw new Error('expected one SQS trigger in the template');
    return trigger;
  }

  /** Moves everything the bus and the reminder topic delivered so far into `events` and `reminders`. */
  async observe(): Promise<void> {
    if (!this.observationQueues.events) await this.subscribeObservers();
    for (const body of await this.drain(this.observationQueues.events)) {
      this.events.push(deliveredEvent.parse(JSON.parse(body)));
    }
    this.reminders.push(...(await this.drain(this.observationQueues.reminders)));
  }

  /** The access key a probe signs with to call AWS as this function's role (recorded apart from its own calls). */
  probeAccessKey(spec: FunctionSpec): string {
    const key = this.probeKeys.get(spec.logicalId);
    if (!key) throw new Error(`no probe key for ${spec.logicalId}`);
    return key;
  }

  /** Everything every function wrote to stdout and stderr. */
  functionOutputs(): Record<string, string> {
    return Object.fromEntries([...this.processes.values()].map((lambda) => [lambda.spec.name, lambda.output()]));
  }

  /** A rule that sends every event of the stack's bus to a queue of the test, and the reminder topic to another. */
  private async subscribeObservers(): Promise<void> {
    const { clients, deployment, stack } = this;
    const queue = async (name: string) => {
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
      const url = z.string().parse(QueueUrl);
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      return { url, arn: z.string().parse(Attributes?.QueueArn) };
    };
    const events = await queue('deployed-test-observed-events');
    const reminders = await queue('deployed-test-observed-reminders');
    const [busId] = logicalIdsOf(stack.template, 'AWS::Events::EventBus');
    if (!busId) throw new Error('the template declares no bus');
    const busName = deployment.values.physicalOf(busId).ref;
    await clients.events.send(
      new PutRuleCommand({
        Name: 'deployed-test-everything',
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: [{ prefix: '' }] }),
      }),
    );
    await clients.events.send(
      new PutTargetsCommand({
        Rule: 'deployed-test-everything',
        EventBusName: busName,
        Targets: [
          {
            Id: 'observed-events',
            Arn: events.arn,
            // The whole event, as delivered without a transformer. Said explicitly because moto builds a JSONPath
            // parser per path of its default input map on every event (8 of them, 100-500 ms a PutEvents on a busy
            // machine), which would eat into the webhook function's 700 ms per AWS call; one path costs ~20 ms.
            InputTransformer: { InputPathsMap: { source: '$.source' }, InputTemplate: '<aws.events.event.json>' },
          },
        ],
      }),
    );
    const topicId = logicalIdsOf(stack.template, 'AWS::SNS::Topic').find((id) => id.startsWith('RemindersTopic'));
    if (!topicId) throw new Error('the template declares no reminder topic');
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: deployment.values.physicalOf(topicId).ref,
        Protocol: 'sqs',
        Endpoint: reminders.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    this.observationQueues = { events: events.url, reminders: reminders.url };
  }

  private async drain(queueUrl: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await this.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => message.Body ?? ''));
      await this.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }
}

/** An SQS message as Lambda's event source mapping hands it to the function. */
function sqsRecord(message: Message, queueArn: string): SQSEvent['Records'][number] {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'AIDA',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}
